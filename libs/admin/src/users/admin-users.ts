import { Inject, Injectable } from '@nestjs/common';
import { Errors } from '@lattice/http';
import { PRISMA, type PrismaClient, type Prisma } from '@lattice/storage';

/** A user as Synapse's admin API lists them. */
export interface AdminUserSummary {
  name: string;
  user_type: null;
  is_guest: boolean;
  admin: boolean;
  deactivated: boolean;
  erased: boolean;
  shadow_banned: false;
  displayname: string | null;
  avatar_url: string | null;
  creation_ts: number;
  approved: true;
  locked: boolean;
}

export interface UserListQuery {
  from: number;
  limit: number;
  guests: boolean;
  deactivated: boolean;
  admins?: boolean;
  name?: string;
  userId?: string;
  orderBy: string;
  backwards: boolean;
}

/** Synapse's order_by values that Lattice has a column for. */
const ORDER_COLUMNS: Record<string, keyof Prisma.UserOrderByWithRelationInput> = {
  name: 'userId',
  is_guest: 'isGuest',
  admin: 'isAdmin',
  deactivated: 'deactivated',
  displayname: 'displayName',
  avatar_url: 'avatarUrl',
  creation_ts: 'createdAt',
};

export const USER_ORDERINGS = Object.keys(ORDER_COLUMNS);

type UserRow = {
  userId: string;
  isGuest: boolean;
  isAdmin: boolean;
  deactivated: boolean;
  erased: boolean;
  locked: boolean;
  displayName: string | null;
  avatarUrl: string | null;
  createdAt: Date;
};

/** The users table as the admin API reads it: one tenant at a time. */
@Injectable()
export class AdminUsers {
  constructor(@Inject(PRISMA) private readonly db: PrismaClient) {}

  async list(serverName: string, query: UserListQuery): Promise<{ users: AdminUserSummary[]; total: number }> {
    const where: Prisma.UserWhereInput = {
      serverName,
      ...(query.guests ? {} : { isGuest: false }),
      ...(query.deactivated ? {} : { deactivated: false }),
      ...(query.admins === undefined ? {} : { isAdmin: query.admins }),
      ...(query.userId === undefined ? {} : { userId: { contains: query.userId, mode: 'insensitive' } }),
      ...(query.name === undefined
        ? {}
        : {
            OR: [
              { userId: { contains: query.name, mode: 'insensitive' } },
              { displayName: { contains: query.name, mode: 'insensitive' } },
            ],
          }),
    };
    const direction = query.backwards ? 'desc' : 'asc';
    const [rows, total] = await Promise.all([
      this.db.user.findMany({
        where,
        orderBy: [{ [ORDER_COLUMNS[query.orderBy]]: direction }, { userId: direction }],
        skip: query.from,
        take: query.limit,
      }),
      this.db.user.count({ where }),
    ]);
    return { users: rows.map(summary), total };
  }

  async get(userId: string): Promise<AdminUserSummary | undefined> {
    const row = await this.db.user.findUnique({ where: { userId } });
    return row ? summary(row) : undefined;
  }

  async require(userId: string): Promise<AdminUserSummary> {
    const user = await this.get(userId);
    if (!user) throw Errors.notFound('User not found');
    return user;
  }

  async setAdmin(userId: string, admin: boolean): Promise<void> {
    await this.db.user.update({ where: { userId }, data: { isAdmin: admin } });
  }

  /** Gives a deactivated account back its use; it needs a password again to log in. */
  async reactivate(userId: string): Promise<void> {
    await this.db.user.update({ where: { userId }, data: { deactivated: false, erased: false } });
  }

  /** The most recent time any of the user's devices was seen, for the single-user view. */
  async lastSeen(userId: string): Promise<number | null> {
    const { _max } = await this.db.device.aggregate({ where: { userId }, _max: { lastSeenTs: true } });
    return _max.lastSeenTs === null ? null : Number(_max.lastSeenTs);
  }
}

function summary(row: UserRow): AdminUserSummary {
  return {
    name: row.userId,
    user_type: null,
    is_guest: row.isGuest,
    admin: row.isAdmin,
    deactivated: row.deactivated,
    erased: row.erased,
    shadow_banned: false,
    displayname: row.displayName,
    avatar_url: row.avatarUrl,
    creation_ts: row.createdAt.getTime(),
    approved: true,
    locked: row.locked,
  };
}
