"""Pure builders: data in, figures, tables and components out (what the tests exercise)."""
