// name: release_relationships
// purpose: forget a source on relationships other sources contribute too and another source wrote last
// params: $source
// returns: (nothing)
MATCH ()-[r]->()
WHERE $source IN r.sources AND r.source <> $source
SET r.sources = [x IN r.sources WHERE x <> $source]
