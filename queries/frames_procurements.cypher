// name: frames_procurements
// purpose: every planned or open procurement with the fields the analysis reads; dates as ISO text
// params: $chunk
// returns: chunk
MATCH (p:Procurement)
WITH collect([p.id, p.buyer, p.title, p.category, toString(p.start), toString(p.end), p.value, p.currency, p.places, p.stage, p.route]) AS rows
UNWIND range(0, size(rows) - 1, $chunk) AS i
RETURN rows[i..i + $chunk] AS chunk
