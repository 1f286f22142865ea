import { IsolationForest } from 'ml-isolation-forest';
import { sampleIndices, seededRandom, withSeededMathRandom } from '../random.js';

/**
 * A trained isolation forest in a compact, JSON-safe form (persisted with the model): per tree, a
 * flat node list where an inner node is `[feature, split, left, right]` and a leaf is `[-1, size]`.
 */
export interface CompactForest {
  trainingSize: number;
  trees: number[][][];
}

interface TreeNodeLike {
  left?: TreeNodeLike;
  right?: TreeNodeLike;
  splitColumn?: number;
  splitValue?: number;
  trainingSet?: unknown[];
}

function compactTree(root: TreeNodeLike): number[][] {
  const nodes: number[][] = [];
  const visit = (node: TreeNodeLike): number => {
    const index = nodes.length;
    if (!node.left || !node.right) {
      nodes.push([-1, node.trainingSet?.length ?? 0]);
      return index;
    }
    nodes.push([node.splitColumn!, node.splitValue!, 0, 0]);
    const l = visit(node.left);
    const r = visit(node.right);
    nodes[index]![2] = l;
    nodes[index]![3] = r;
    return index;
  };
  visit(root);
  return nodes;
}

/** Average path length of an unsuccessful search in a binary search tree of n points (c(n) in the paper). */
function c(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * Math.log(n - 1) + 0.57721 - (2 * (n - 1)) / n;
}

/**
 * Trains `ml-isolation-forest` on a seeded subsample (isolation forests work on small subsamples;
 * the library grows every tree on the whole set it is given, which is slow and no better on
 * 100,000 rows) and returns the forest in compact form.
 */
export function trainIsolationForest(rows: readonly number[][], options: { seed: number; trees?: number; subsample?: number }): CompactForest {
  const size = Math.min(rows.length, options.subsample ?? 2048);
  const picked = sampleIndices(seededRandom(options.seed), rows.length, size).map((i) => rows[i]!);
  const forest = new IsolationForest({ nEstimators: options.trees ?? 100 });
  withSeededMathRandom(options.seed + 1, () => forest.train(picked));
  const trees = (forest as unknown as { forest: TreeNodeLike[] }).forest.map(compactTree);
  return { trainingSize: size, trees };
}

/** Anomaly score in 0..1 (above ~0.6: clearly unusual; ~0.5: ordinary), as ml-isolation-forest computes it. */
export function scoreIsolationForest(forest: CompactForest, row: readonly number[]): number {
  let total = 0;
  for (const tree of forest.trees) {
    let node = tree[0]!;
    let depth = 0;
    while (node[0] !== -1) {
      node = row[node[0]!]! < node[1]! ? tree[node[2]!]! : tree[node[3]!]!;
      depth++;
    }
    total += depth + c(node[1]!);
  }
  return 2 ** (-(total / forest.trees.length) / c(forest.trainingSize));
}
