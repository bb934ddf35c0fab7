import { parseShard, selectShard } from './shard';

const drills = ['e', 'a', 'd', 'c', 'b', 'f', 'g'].map((name) => ({ name }));

it('deals the drills so that every one runs on exactly one shard', () => {
  const shards = [1, 2, 3].map((index) => selectShard(drills, { index, count: 3 }).map((d) => d.name));
  expect(shards).toEqual([['a', 'd', 'g'], ['b', 'e'], ['c', 'f']]);
  expect(shards.flat().sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
  expect(selectShard(drills, { index: 1, count: 1 })).toHaveLength(7);
});

it('names a bad shard value', () => {
  expect(parseShard('2/3')).toEqual({ index: 2, count: 3 });
  for (const bad of ['0/3', '4/3', '1/0', 'two', '1-3']) expect(() => parseShard(bad)).toThrow(`--shard must be i/n with 1 <= i <= n, got "${bad}"`);
});
