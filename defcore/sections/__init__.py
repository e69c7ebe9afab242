"""Designated sections: does a product really run the upstream code the guidelines designate?

`maps` says which files implement each section, `installed` reads the installation under test,
`upstream` fetches the matching release from PyPI, `compare` diffs files, `check` runs it all
and `report` / `render` give the result as JSON, a terminal table or an HTML page.
"""
