'use strict';
// The plotly.js the dashboard serves: the core (with scatter) and the traces ecomap's figures draw.
// A figure of another trace type needs it added here and the bundle built again (build.sh).
var Plotly = require('plotly.js/lib/core');

Plotly.register([
    require('plotly.js/lib/bar'),
    require('plotly.js/lib/heatmap'),
    require('plotly.js/lib/sankey'),
    require('plotly.js/lib/choropleth'),
]);

module.exports = Plotly;
