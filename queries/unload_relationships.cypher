// name: unload_relationships
// purpose: remove the relationships only this source contributed
// params: $source
// returns: (nothing)
MATCH ()-[r]->()
WHERE r.sources = [$source]
DELETE r
