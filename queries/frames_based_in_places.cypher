// name: frames_based_in_places
// purpose: organisations based in one of $codes
// params: $codes, $chunk
// returns: chunk
UNWIND $codes AS code
MATCH (:Place {code: code})<-[:BASED_IN]-(o:Organisation)
WITH collect([o.id, code]) AS rows
UNWIND range(0, size(rows) - 1, $chunk) AS i
RETURN rows[i..i + $chunk] AS chunk
