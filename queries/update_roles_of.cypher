// name: update_roles_of
// purpose: keep the roles property in step for the organisations a first load touched
// params: $ids
// returns: (nothing)
UNWIND $ids AS oid
MATCH (o:Organisation {id: oid})
SET o.roles = [role IN ['funder', 'provider', 'recipient'] WHERE
    (role = 'funder' AND EXISTS { MATCH (o)-[:FUNDS]->(:Organisation) }) OR
    (role = 'provider' AND EXISTS { MATCH (o)-[:DELIVERS]->(:Service) }) OR
    (role = 'recipient' AND EXISTS { MATCH (:Organisation)-[:FUNDS]->(o) })]
