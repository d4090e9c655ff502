"""Reads an account export (.xlsx) with openpyxl and prints what openpyxl sees, one
fact a line, tab-separated, for interop_test.cc to check: each sheet and its state,
the frozen panes of the first sheet, its data validations, and every non-empty cell
of its data rows with openpyxl's data type ('s' string, 'n' number, 'f' formula, ...).
Tabs, line feeds and backslashes in values are escaped as \\t, \\n and \\\\.

    /usr/bin/python3 read_export_openpyxl.py <export.xlsx>
"""
import sys

import openpyxl


def escape(value):
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def main():
    wb = openpyxl.load_workbook(sys.argv[1])
    for ws in wb.worksheets:
        print("sheet\t%s\t%s" % (escape(ws.title), ws.sheet_state))
    ws = wb.worksheets[0]
    print("freeze\t%s" % (ws.freeze_panes or ""))
    for dv in ws.data_validations.dataValidation:
        print("validation\t%s\t%s\t%s" % (dv.type, escape(dv.sqref), escape(dv.formula1 or "")))
    for row in ws.iter_rows(min_row=1):
        for cell in row:
            if cell.value is None:
                continue
            print("cell\t%d\t%d\t%s\t%s" % (cell.row, cell.column, cell.data_type, escape(cell.value)))


if __name__ == "__main__":
    main()
