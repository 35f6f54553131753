"""Results packs (§6 of the regulation): one per organisational unit, and the
management-review pack (ISO 9001 9.3.2 inputs), each as a printable PDF and an XLSX.

Three layers; imports point one way (writers → loaders → tables):

- `tables`: pure functions that build each table from DataFrames, and hide small
  groups whatever the caller passes (no database; tests build the frames by hand).
- `loaders`: one cycle's frozen indicators and the few raw rows a pack needs.
- `writers`: the same tables as an A4 PDF in Polish and as a workbook, and storing them.

The cycle's "packs" step builds every pack (`pack_build`, once per unit and once with
`unit=None` for the management review) outside any transaction, into temporary files,
then publishes each (`pack_publish`: a short transaction, then the files renamed into
stable names); `pack_store` does both for one pack. A pack built before the coordinator
released the cycle's free text says so in its free-text section; `pack_add_free_text`
(run by every sweep, services.packs_add_free_text) rebuilds it once the text is
released, under the same file names. `pack_files_cleanup` (`manage.py cleanup_files`,
weekly) removes the files a killed build left behind.
"""

from review.packs.loaders import review_period
from review.packs.tables import (
    OTHER_CARDS,
    TEXTS_NONE,
    TEXTS_SHOWN,
    TEXTS_TOO_FEW,
    channel_month_table,
    format_result,
    free_text_pool,
    indicator_table,
    missing_ranked,
    nc_measures,
    objectives_table,
    observation_ranking,
    status_label,
    trend_table,
    year_over_year_table,
)
from review.packs.writers import (
    BuiltPack,
    management_pack,
    pack_add_free_text,
    pack_build,
    pack_discard,
    pack_file_names,
    pack_files_cleanup,
    pack_publish,
    pack_store,
    unit_pack,
    workbook,
)

__all__ = [
    "OTHER_CARDS",
    "TEXTS_NONE",
    "TEXTS_SHOWN",
    "TEXTS_TOO_FEW",
    "BuiltPack",
    "channel_month_table",
    "format_result",
    "free_text_pool",
    "indicator_table",
    "management_pack",
    "missing_ranked",
    "nc_measures",
    "objectives_table",
    "observation_ranking",
    "pack_add_free_text",
    "pack_build",
    "pack_discard",
    "pack_file_names",
    "pack_files_cleanup",
    "pack_publish",
    "pack_store",
    "review_period",
    "status_label",
    "trend_table",
    "unit_pack",
    "workbook",
    "year_over_year_table",
]
