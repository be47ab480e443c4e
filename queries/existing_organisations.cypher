// name: existing_organisations
// purpose: organisations already in the store with their identifiers, for merging sources
// params: (none)
// returns: id, name, charity_number, company_number
MATCH (o:Organisation)
RETURN o.id AS id, o.name AS name, o.charity_number AS charity_number, o.company_number AS company_number
ORDER BY id
