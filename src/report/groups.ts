/**
 * The groupings of heads that the ISBE paper draws its learning curves in (W. Skarbek,
 * arXiv 2311.16357, 2023), and their selection for the heads a report has.
 */
import { paperHeads, paperHeadTitles } from '../experiments/paper.js';

/** Heads drawn together in one figure. */
export interface HeadGroup {
  id: string;
  title: string;
  heads: readonly string[];
}

/** The paper's head groupings, each drawn once per network. */
export const headGroups: readonly HeadGroup[] = [
  { id: 'all-heads', title: 'All heads', heads: paperHeads },
  {
    id: 'ce-vs-softmax',
    title: 'CE reductions vs softmax',
    heads: ['ce-mean', 'ce-none', 'ce-sum', 'isbe-softmax'],
  },
  {
    id: 'ce-vs-tanh',
    title: 'CE (mean) vs tanh and hardtanh',
    heads: ['ce-mean', 'isbe-tanh', 'isbe-hardtanh'],
  },
  {
    id: 'softmax-vs-sigmoids',
    title: 'Softmax vs sigmoid and hardsigmoid',
    heads: ['isbe-softmax', 'isbe-sigmoid', 'isbe-hardsigmoid'],
  },
  {
    id: 'softmax-vs-tanhs',
    title: 'Softmax vs tanh and hardtanh',
    heads: ['isbe-softmax', 'isbe-tanh', 'isbe-hardtanh'],
  },
  {
    id: 'softmax-vs-sigmoid-tanh',
    title: 'Softmax vs sigmoid and tanh',
    heads: ['isbe-softmax', 'isbe-sigmoid', 'isbe-tanh'],
  },
];

/** Heads of the figure that puts the networks side by side. */
export const netComparisonGroup: HeadGroup = {
  id: 'nets',
  title: 'Networks compared',
  heads: ['ce-mean', 'isbe-softmax', 'isbe-sigmoid', 'isbe-tanh'],
};

/** Orders heads as the paper's columns, then any others in their given order. */
export function sortHeads(heads: Iterable<string>): string[] {
  const unique = [...new Set(heads)];
  const rank = (head: string) => {
    const index = (paperHeads as readonly string[]).indexOf(head);
    return index === -1 ? paperHeads.length + unique.indexOf(head) : index;
  };
  return unique.sort((a, b) => rank(a) - rank(b));
}

/**
 * Selects the groups worth drawing for the heads present: each group keeps its present heads. A
 * group left with fewer than two heads, or with the same heads as an earlier group, is
 * dropped. The "All heads" group is always kept, with every present head, so even a
 * single-head report has its curves and heads outside the paper's eight appear somewhere.
 * With a single head it takes that head's title.
 */
export function selectGroups(present: readonly string[]): HeadGroup[] {
  const heads = sortHeads(present);
  const title = heads.length === 1 ? headTitle(heads[0]!) : headGroups[0]!.title;
  const all: HeadGroup = { ...headGroups[0]!, title, heads };
  const selected: HeadGroup[] = [all];
  const seen = new Set([all.heads.join(',')]);
  for (const group of headGroups.slice(1)) {
    const heads = group.heads.filter((head) => present.includes(head));
    const key = heads.join(',');
    if (heads.length < 2 || seen.has(key)) continue;
    seen.add(key);
    selected.push({ ...group, heads });
  }
  return selected;
}

/**
 * Picks the heads of the network comparison: those of netComparisonGroup that are present, or
 * every present head when none of them is.
 */
export function netComparisonHeads(present: readonly string[]): string[] {
  const heads = netComparisonGroup.heads.filter((head) => present.includes(head));
  return heads.length > 0 ? heads : sortHeads(present);
}

/** Returns the name of a head in legends and tables: the paper's column title, or the head itself. */
export function headTitle(head: string): string {
  return paperHeadTitles[head] ?? head;
}
