// name: update_roles
// purpose: keep organisations' roles property in step with their relationships
// params: (none)
// returns: (nothing)
MATCH (o:Organisation)
SET o.roles = [role IN ['funder', 'provider', 'recipient'] WHERE
    (role = 'funder' AND EXISTS { MATCH (o)-[:FUNDS]->(:Organisation) }) OR
    (role = 'provider' AND EXISTS { MATCH (o)-[:DELIVERS]->(:Service) }) OR
    (role = 'recipient' AND EXISTS { MATCH (:Organisation)-[:FUNDS]->(o) })]
