// name: frames_funded_for_places
// purpose: organisations receiving a flow whose beneficiary places include one of $codes
// params: $codes, $chunk
// returns: chunk
UNWIND $codes AS code
MATCH (:Place {code: code})<-[:FUNDED_FOR]-(o:Organisation)
WITH collect(DISTINCT o.id) AS rows
UNWIND range(0, size(rows) - 1, $chunk) AS i
RETURN rows[i..i + $chunk] AS chunk
