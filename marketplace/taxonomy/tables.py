from piccolo.columns import JSON, ForeignKey, Integer, Serial, Text, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table


class Capability(Table, tablename="capability"):
    """A node of the two-level taxonomy: a group (``parent`` null) or a capability in a group."""

    id: Serial  # added by Piccolo; declared for the type checker

    key = Varchar(length=80, unique=True)
    name = Varchar(length=80, unique=True)
    name_en = Varchar(length=120, default="")
    parent: ForeignKey["Capability"] = ForeignKey(
        "self", null=True, default=None, on_delete=OnDelete.restrict
    )
    synonyms = JSON(default=[])
    description = Text(default="")
    position = Integer(default=0)
