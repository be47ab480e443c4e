// name: reassign_relationships
// purpose: hand relationships a source wrote last, but another contributes too, back to that other source and its latest load run
// params: $source, $other, $run
// returns: (nothing)
MATCH ()-[r]->()
WHERE r.source = $source AND $source IN r.sources
WITH r, [x IN r.sources WHERE x <> $source] AS rest
WHERE size(rest) > 0 AND rest[size(rest) - 1] = $other
SET r.sources = rest, r.source = $other, r.load_run = $run
