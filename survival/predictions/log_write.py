"""Writing answered predictions to the log.

A request that answers one passenger (a submitted form, a single API call) writes one row
before its answer leaves. Through `bulk_create` the ORM builds that INSERT anew on every
call, and building it cost several times what running it did (bench/profile_api.py). The
statement is the same every time for a given database, so it is built once per process and
connection alias, by the ORM's own insert compiler (the same SQL, placeholders and
RETURNING clause `bulk_create` uses), and each row's values are prepared by the model's own
fields, as `bulk_create` prepares them. Several rows at once (an API batch) still go through
`bulk_create`, in one INSERT.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from django.db import connections, router
from django.db.models import Field
from django.db.models.sql import InsertQuery

from survival.models import Prediction


def predictions_log(rows: Sequence[Prediction]) -> None:
    """Inserts `rows` and sets each one's primary key."""
    if len(rows) != 1:
        Prediction.objects.bulk_create(rows)
        return
    (row,) = rows
    alias = router.db_for_write(Prediction)
    connection = connections[alias]
    sql, fields, returns = _insert_statement(alias)
    # pre_save: what saving would store (`created_at` is stamped here, as on any insert).
    params = [field.get_db_prep_save(field.pre_save(row, True), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if returns:
            row.pk = cursor.fetchone()[0]
        else:
            row.pk = connection.ops.last_insert_id(
                cursor, Prediction._meta.db_table, Prediction._meta.pk.column
            )
    row._state.adding = False
    row._state.db = alias


@cache
def _insert_statement(alias: str) -> tuple[str, tuple[Field, ...], bool]:
    """The one-row INSERT for the database behind `alias`, the fields whose values it takes
    (in order), and whether it returns the new row's key."""
    connection = connections[alias]
    meta = Prediction._meta
    fields = tuple(field for field in meta.concrete_fields if field is not meta.pk)
    query = InsertQuery(Prediction)
    query.insert_values(fields, [Prediction()])
    compiler = query.get_compiler(alias)
    returns = connection.features.can_return_columns_from_insert
    if returns:
        compiler.returning_fields = [meta.pk]
    [(sql, _)] = compiler.as_sql()
    return sql, fields, returns
