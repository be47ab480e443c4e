// name: release_nodes
// purpose: forget a source on nodes other sources contribute too and another source wrote last
// params: $source
// returns: (nothing)
MATCH (n)
WHERE $source IN n.sources AND n.source <> $source
SET n.sources = [x IN n.sources WHERE x <> $source]
