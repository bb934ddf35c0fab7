// pure-rand 8 publishes its entry points only through package.json "exports", which the project's
// `moduleResolution: node` cannot see; these declarations point the subpaths at the shipped typings.
declare module 'pure-rand/generator/xoroshiro128plus' {
  export * from 'pure-rand/lib/generator/xoroshiro128plus';
}
declare module 'pure-rand/distribution/uniformFloat64' {
  export * from 'pure-rand/lib/distribution/uniformFloat64';
}
declare module 'pure-rand/distribution/uniformInt' {
  export * from 'pure-rand/lib/distribution/uniformInt';
}
declare module 'pure-rand/types/RandomGenerator' {
  export * from 'pure-rand/lib/types/RandomGenerator';
}
