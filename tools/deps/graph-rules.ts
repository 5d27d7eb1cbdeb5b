/** The layering rules of docs/ARCHITECTURE.md, over a graph of named nodes: pure, so the checker's verdicts are unit-tested. */

export type Edges = ReadonlyMap<string, readonly string[]>;

/** Edges from one service to another: services are peers and share code only through shared libraries. */
export function serviceToServiceEdges(edges: Edges, isService: (node: string) => boolean): Array<[string, string]> {
  return [...edges].flatMap(([from, tos]) =>
    isService(from) ? tos.filter(isService).map((to): [string, string] => [from, to]) : [],
  );
}

/** The cycles of a directed graph: its strongly connected components of more than one node, or of one node importing itself (Tarjan). */
export function cycles(edges: Edges): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string) => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const next of edges.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || (edges.get(node) ?? []).includes(node)) found.push(component.sort());
  };
  for (const node of edges.keys()) if (!index.has(node)) visit(node);
  return found;
}
