// name: frames_funding
// purpose: funding flows (with beneficiary places, whether the end was assumed, and the currency) with the fields the analysis reads; dates as ISO text (the driver decodes text far faster than Date values)
// params: $chunk
// returns: chunk
MATCH (a:Organisation)-[r:FUNDS]->(b:Organisation)
WITH collect([r.id, a.id, b.id, r.amount, toString(r.start), toString(r.end), r.service, r.beneficiary_places, r.end_assumed, r.currency]) AS rows
UNWIND range(0, size(rows) - 1, $chunk) AS i
RETURN rows[i..i + $chunk] AS chunk
