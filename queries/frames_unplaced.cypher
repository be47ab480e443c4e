// name: frames_unplaced
// purpose: organisations with no place at all (no base, no service area, no loaded beneficiary place), except funders that receive nothing; with their postcode
// params: $chunk
// returns: chunk
MATCH (o:Organisation)
WHERE NOT EXISTS { MATCH (o)-[:BASED_IN]->(:Place) }
  AND NOT EXISTS { MATCH (o)-[:FUNDED_FOR]->(:Place) }
  AND NOT EXISTS { MATCH (o)-[:DELIVERS]->(:Service)-[:SERVES]->(:Place) }
  AND (EXISTS { MATCH (o)<-[:FUNDS]-(:Organisation) } OR NOT EXISTS { MATCH (o)-[:FUNDS]->(:Organisation) })
WITH collect([o.id, o.postcode]) AS rows
UNWIND range(0, size(rows) - 1, $chunk) AS i
RETURN rows[i..i + $chunk] AS chunk
