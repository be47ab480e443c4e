// name: workshop_create_action
// purpose: record a workshop action (Action), linked ON its workshop and CONCERNS whichever of the named places, categories, organisations and services exist
// params: $workshop, $props, $places, $categories, $organisations, $services
// returns: id, linked
MATCH (w:Workshop {id: $workshop})
CREATE (n:Action)
SET n = $props
CREATE (n)-[:ON]->(w)
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
RETURN n.id AS id, size(targets) AS linked
