import { Body, Controller, HttpCode, Post, Query } from '@nestjs/common';
import { Auth, RateLimited, Requester, validateBody } from '@lattice/http';
import { RoomEventSearch } from './room-event-search';
import { searchBody } from './search-schemas';

/** POST /search (client-server-api "Server Side Search"). */
@Controller('_matrix/client/v3/search')
export class SearchController {
  constructor(private readonly roomEvents: RoomEventSearch) {}

  @Post()
  @HttpCode(200)
  @RateLimited()
  async search(@Auth() r: Requester, @Body() raw: unknown, @Query('next_batch') nextBatch?: string) {
    const { search_categories: categories } = validateBody(searchBody, raw);
    return {
      search_categories: categories.room_events
        ? { room_events: await this.roomEvents.search(r, categories.room_events, nextBatch) }
        : {},
    };
  }
}
