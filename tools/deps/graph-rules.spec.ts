import { cycles, serviceToServiceEdges } from './graph-rules';

const graph = (entries: Record<string, string[]>) => new Map(Object.entries(entries));

describe('serviceToServiceEdges', () => {
  const isService = (node: string) => node === 'sync' || node === 'room-server';

  it('finds an import of one service by another', () => {
    expect(
      serviceToServiceEdges(graph({ sync: ['rooms', 'room-server'], 'room-server': ['rooms'], rooms: [] }), isService),
    ).toEqual([['sync', 'room-server']]);
  });

  it('accepts services that share only libraries', () => {
    expect(
      serviceToServiceEdges(
        graph({ sync: ['rooms'], 'room-server': ['rooms'], runtime: ['sync', 'room-server'] }),
        isService,
      ),
    ).toEqual([]);
  });
});

describe('cycles', () => {
  it('finds the files of an import cycle, however long', () => {
    expect(
      cycles(
        graph({
          'room-store': ['state-set', 'bulk-rows'],
          'state-set': ['snapshot-plan'],
          'snapshot-plan': ['room-store'],
          'bulk-rows': [],
        }),
      ),
    ).toEqual([['room-store', 'snapshot-plan', 'state-set']]);
  });

  it('finds a module importing itself', () => {
    expect(cycles(graph({ a: ['a'] }))).toEqual([['a']]);
  });

  it('finds none in a layered graph', () => {
    expect(cycles(graph({ app: ['service'], service: ['shared', 'pure'], shared: ['pure'], pure: [] }))).toEqual([]);
  });
});
