from piccolo.columns import Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Department(Table, tablename="department"):
    id: Serial  # added by Piccolo; declared for the type checker

    key = Varchar(length=80, unique=True)
    name = Varchar(length=120, unique=True)
    short_name = Varchar(length=40, default="")
    description = Text(default="")
    cdo_name = Varchar(length=60, default="")
    cdo_title = Varchar(length=80, default="")
    created_at = Timestamptz(default=TimestamptzNow())
