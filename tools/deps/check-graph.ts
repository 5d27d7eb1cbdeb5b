import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { cycles, serviceToServiceEdges, type Edges } from './graph-rules';

/**
 * `npm run lint`'s graph check. Reads the project graph `nx graph --file`
 * wrote, prints who depends on whom (the services first), and fails on an
 * import of one service by another, on a cycle between projects, and on an
 * import cycle between the files of any project (ESLint's boundary rule
 * sees neither kind of cycle).
 */
interface NxGraph {
  graph: {
    nodes: Record<string, { data: { root: string; tags?: string[] } }>;
    dependencies: Record<string, Array<{ target: string }>>;
  };
}

const root = resolve(__dirname, '../../..');
const graphFile = process.argv[2] ?? join(root, 'dist/project-graph.json');
const { nodes, dependencies } = (JSON.parse(readFileSync(graphFile, 'utf8')) as NxGraph).graph;
const kindOf = (project: string) =>
  nodes[project]?.data.tags?.find((t) => t.startsWith('type:'))?.slice('type:'.length) ?? 'untagged';
const projects = new Map<string, string[]>(
  Object.keys(nodes).map((p) => [
    p,
    [...new Set(dependencies[p].map((d) => d.target).filter((t) => t in nodes))].sort(),
  ]),
);

const order = ['app', 'runtime', 'service', 'shared', 'pure', 'untagged'];
const sorted = [...projects.keys()].sort(
  (a, b) => order.indexOf(kindOf(a)) - order.indexOf(kindOf(b)) || a.localeCompare(b),
);
for (const project of sorted) {
  console.log(
    `${kindOf(project).padEnd(8)} ${project.padEnd(15)} -> ${
      projects
        .get(project)!
        .map((d) => (kindOf(d) === 'service' ? `${d} (service)` : d))
        .join(', ') || '(nothing)'
    }`,
  );
}

const problems: string[] = [];
for (const [from, to] of serviceToServiceEdges(projects, (p) => kindOf(p) === 'service'))
  problems.push(`service ${from} imports service ${to}`);
for (const cycle of cycles(projects)) problems.push(`projects in a cycle: ${cycle.join(', ')}`);
for (const project of Object.values(nodes)) {
  for (const cycle of cycles(fileImports(join(root, project.data.root))))
    problems.push(`files in an import cycle: ${cycle.map((f) => relative(root, f)).join(', ')}`);
}

if (problems.length > 0) {
  for (const problem of problems) console.error(`✗ ${problem}`);
  process.exit(1);
}
console.log(`✓ ${projects.size} projects: no service imports another, no cycle between projects or files`);

/** Each TypeScript file of a folder and the files of it that it imports by relative path (type-only imports too: they bind the modules as tightly). */
function fileImports(folder: string): Edges {
  const edges = new Map<string, string[]>();
  for (const file of typescriptFiles(folder)) {
    const source = readFileSync(file, 'utf8');
    const specifiers = [
      ...source.matchAll(/\bfrom\s+'(\.[^']*)'|\bimport\s*\(\s*'(\.[^']*)'\s*\)|\brequire\(\s*'(\.[^']*)'\s*\)/g),
    ].map((m) => m[1] ?? m[2] ?? m[3]);
    edges.set(
      file,
      specifiers.flatMap((s) => resolveModule(dirname(file), s) ?? []),
    );
  }
  return edges;
}

function resolveModule(from: string, specifier: string): string | undefined {
  const base = resolve(from, specifier);
  return [`${base}.ts`, join(base, 'index.ts')].find((candidate) => existsSync(candidate));
}

function typescriptFiles(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    if (name === 'node_modules' || name === 'generated') return [];
    if (statSync(path).isDirectory()) return typescriptFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}
