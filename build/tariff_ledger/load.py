"""Load stage: read each CSV as its Table Schema declares it. pandas never guesses a type here:
`NA` is Namibia, `0101.21` is a code, and only the empty string is missing.
"""

from __future__ import annotations

import pandas as pd

from .package import RESOURCES, Package


def read_resource(pkg: Package, name: str) -> pd.DataFrame:
    df = pd.read_csv(pkg.csv_path(name), dtype=str, keep_default_na=False, na_values=[], encoding="utf-8-sig")
    for f in pkg.fields(name):
        col = f["name"]
        if f["type"] == "number":
            df[col] = pd.to_numeric(df[col].replace("", None), errors="raise").astype("float64")
        elif f["type"] == "integer":
            df[col] = pd.to_numeric(df[col].replace("", None), errors="raise").astype("Int64")
        elif f["type"] == "date":
            df[col] = pd.to_datetime(df[col].replace("", None), format="%Y-%m-%d")
    return df


def load(pkg: Package) -> dict[str, pd.DataFrame]:
    """Every resource as a DataFrame with schema types; call only on a validated package."""
    return {name: read_resource(pkg, name) for name in RESOURCES}
