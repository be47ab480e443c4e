// name: workshop_merge_vote_item
// purpose: the Note a workshop's dot-votes on one finding attach to (made on the first vote), linked ON its workshop and CONCERNS what the finding is about
// params: $workshop, $id, $props, $places, $categories, $organisations, $services
// returns: id
MATCH (w:Workshop {id: $workshop})
MERGE (n:Note {id: $id})
ON CREATE SET n = $props
MERGE (n)-[:ON]->(w)
WITH n
OPTIONAL MATCH (p:Place) WHERE p.code IN $places
WITH n, collect(p) AS ps
OPTIONAL MATCH (c:Category) WHERE c.code IN $categories
WITH n, ps, collect(c) AS cs
OPTIONAL MATCH (o:Organisation) WHERE o.id IN $organisations
WITH n, ps, cs, collect(o) AS os
OPTIONAL MATCH (s:Service) WHERE s.id IN $services
WITH n, ps, cs, os, collect(s) AS ss
WITH n, ps + cs + os + ss AS targets
FOREACH (t IN targets | MERGE (n)-[:CONCERNS]->(t))
RETURN n.id AS id
