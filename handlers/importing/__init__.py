"""Reading and checking commune officers' CSV/XLSX imports (no database here).

``open_table`` streams a file's rows under its located header, ``iter_validated``
turns each row into a ``BeneficiaryRow``/``PaymentRow`` or a list of ``RowError``.
"""

from handlers.importing.cells import CellError
from handlers.importing.columns import BENEFICIARY_COLUMNS, PAYMENT_COLUMNS, map_headers
from handlers.importing.reader import ImportFileError, Table, open_table
from handlers.importing.validate import (
    BeneficiaryRow,
    PaymentRow,
    RowError,
    iter_validated,
    validate_beneficiary,
    validate_payment,
)

__all__ = [
    "BENEFICIARY_COLUMNS",
    "PAYMENT_COLUMNS",
    "BeneficiaryRow",
    "CellError",
    "ImportFileError",
    "PaymentRow",
    "RowError",
    "Table",
    "iter_validated",
    "map_headers",
    "open_table",
    "validate_beneficiary",
    "validate_payment",
]
