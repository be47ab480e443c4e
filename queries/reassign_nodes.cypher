// name: reassign_nodes
// purpose: hand nodes a source wrote last, but another contributes too, back to that other source and its latest load run
// params: $source, $other, $run
// returns: (nothing)
MATCH (n)
WHERE n.source = $source AND $source IN n.sources
WITH n, [x IN n.sources WHERE x <> $source] AS rest
WHERE size(rest) > 0 AND rest[size(rest) - 1] = $other
SET n.sources = rest, n.source = $other, n.load_run = $run
