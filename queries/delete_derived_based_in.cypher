// name: delete_derived_based_in
// purpose: remove the BASED_IN links found from a postcode or a register (not an organisation's own place)
// params: $ids
// returns: (nothing)
UNWIND $ids AS oid
MATCH (o:Organisation {id: oid})-[r:BASED_IN]->(:Place)
WHERE r.basis IS NOT NULL
DELETE r
