import { randomInt } from 'node:crypto';

// Our own short word lists: names stay readable in trees and charts ("brave-otter-417").
const ADJECTIVES = [
  'amber', 'bold', 'brave', 'bright', 'calm', 'clever', 'crisp', 'dapper', 'eager', 'fair', 'fleet', 'gentle',
  'glad', 'grand', 'keen', 'kind', 'lively', 'lucid', 'merry', 'nimble', 'noble', 'plucky', 'proud', 'quick',
  'quiet', 'rapid', 'serene', 'sharp', 'shiny', 'silent', 'sleek', 'smart', 'steady', 'sunny', 'swift', 'tidy',
  'vivid', 'warm', 'wise', 'zesty',
];
const NOUNS = [
  'badger', 'bear', 'cat', 'crane', 'deer', 'dolphin', 'eagle', 'falcon', 'ferret', 'finch', 'fox', 'gecko',
  'hare', 'hawk', 'heron', 'ibis', 'jay', 'koala', 'lark', 'lemur', 'lynx', 'mole', 'moose', 'newt', 'orca',
  'otter', 'owl', 'panda', 'puffin', 'quail', 'raven', 'robin', 'seal', 'shrew', 'sparrow', 'swan', 'tiger',
  'toad', 'wolf', 'wren',
];

export function randomRunName(): string {
  const pick = (words: readonly string[]) => words[randomInt(words.length)]!;
  return `${pick(ADJECTIVES)}-${pick(NOUNS)}-${randomInt(1000)}`;
}
