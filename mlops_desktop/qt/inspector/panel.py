"""NodeInspector: edits the selected stage's title and parameters through the editor's undo stack.

Editors are generated from the stage's parameter schema: spin boxes with the declared ranges,
combo boxes for choices, check boxes, file pickers for paths, a multi-line field for text,
and plain fields for optional numbers. A value that does not fit the schema is shown inline
in red and not applied; parameters whose ``visible_when`` condition is false are hidden.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QFocusEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from mlops_desktop.core.errors import ParameterError
from mlops_desktop.core.specs import ParamKind, ParamSpec, StageSpec
from mlops_desktop.qt import colors
from mlops_desktop.qt.icons import category_colour, icon_pixmap

INT_LIMIT = 2_147_483_647


class _TextEdit(QPlainTextEdit):
    """A multi-line field that reports when the user leaves it."""

    editing_finished = Signal()

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.editing_finished.emit()


class ParamRow(QObject):
    """One parameter's editor, its label and its inline error."""

    def __init__(self, spec: ParamSpec, stage: str, on_commit: Callable[[ParamRow], None]) -> None:
        super().__init__()
        self.spec = spec
        self.stage = stage
        self._on_commit = on_commit
        self.label = QLabel(spec.display_name)
        self.label.setToolTip(spec.help or spec.describe())
        self.error = QLabel()
        self.error.setStyleSheet("color: #dc2626; font-size: 9pt;")
        self.error.setWordWrap(True)
        self.error.hide()
        self.editor = self._make_editor()
        if spec.read_only:  # an imported step's definition: shown, selectable, never edited
            if isinstance(self.editor, QLineEdit | QPlainTextEdit):
                self.editor.setReadOnly(True)
            else:
                self.editor.setEnabled(False)
        self.editor.setToolTip(f"{spec.help}\nAllowed: {spec.describe()}".strip())
        self.field = QWidget()
        box = QVBoxLayout(self.field)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        box.addWidget(self.editor)
        box.addWidget(self.error)

    # ------------------------------------------------------------ editors
    def _make_editor(self) -> QWidget:
        spec, kind = self.spec, self.spec.kind
        if kind is ParamKind.BOOL:
            check = QCheckBox()
            check.toggled.connect(self._commit)
            w: QWidget = check
        elif kind is ParamKind.CHOICE:
            w = QComboBox()
            w.addItems(list(spec.choices))
            # Long choice names must not widen the whole dock.
            w.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            w.setMinimumContentsLength(10)
            w.activated.connect(self._commit)
        elif kind is ParamKind.INT:
            w = QSpinBox()
            w.setRange(
                int(spec.minimum if spec.minimum is not None else -INT_LIMIT),
                int(spec.maximum if spec.maximum is not None else INT_LIMIT),
            )
            self._spin_setup(w)
        elif kind is ParamKind.FLOAT and _spin_friendly(spec):
            w = QDoubleSpinBox()
            lo, hi = float(spec.minimum or 0.0), float(spec.maximum or 0.0)
            w.setDecimals(3 if hi - lo <= 10 else 2)
            w.setRange(lo, hi)
            w.setSingleStep(0.05 if hi - lo <= 1 else 0.1 if hi - lo <= 10 else 1.0)
            self._spin_setup(w)
        elif kind is ParamKind.TEXT:
            w = _TextEdit()
            w.setFixedHeight(84)
            w.editing_finished.connect(self._commit)
        elif kind is ParamKind.PATH:
            w = QWidget()
            row = QHBoxLayout(w)
            row.setContentsMargins(0, 0, 0, 0)
            row.setSpacing(4)
            self.line = QLineEdit()
            self.line.setPlaceholderText("Choose a file…")
            self.line.editingFinished.connect(self._commit)
            button = QToolButton()
            button.setText("…")
            button.setToolTip("Browse for a file")
            button.clicked.connect(self._on_browse_clicked)
            row.addWidget(self.line, 1)
            row.addWidget(button)
        else:  # STR, optional numbers, unbounded or wide-range floats
            w = QLineEdit()
            if kind in (ParamKind.OPTIONAL_INT, ParamKind.OPTIONAL_FLOAT):
                w.setPlaceholderText("empty = none")
            w.editingFinished.connect(self._commit)
        return w

    def _spin_setup(self, w: QSpinBox | QDoubleSpinBox) -> None:
        w.setKeyboardTracking(False)  # apply on Enter, focus-out or arrow, not per keystroke
        w.setAccelerated(True)
        w.valueChanged.connect(self._commit)

    def _on_browse_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.field,
            f"Choose {self.spec.display_name}",
            self.line.text(),
            self.spec.file_filter or "All files (*)",
        )
        if path:
            self.line.setText(path)
            self._commit()

    # --------------------------------------------------------- read/write
    def raw_value(self) -> Any:
        w = self.editor
        if isinstance(w, QCheckBox):
            return w.isChecked()
        if isinstance(w, QComboBox):
            return w.currentText()
        if isinstance(w, QSpinBox | QDoubleSpinBox):
            return w.value()
        if isinstance(w, QPlainTextEdit):
            return w.toPlainText()
        if self.spec.kind is ParamKind.PATH:
            return self.line.text()
        assert isinstance(w, QLineEdit)
        text = w.text().strip()
        if self.spec.kind is ParamKind.STR:
            return w.text()
        return text

    def set_value(self, value: Any) -> None:
        """Show ``value`` (from the document) without triggering an edit; clears the error."""
        w = self.editor
        w.blockSignals(True)
        try:
            if isinstance(w, QCheckBox):
                w.setChecked(bool(value))
            elif isinstance(w, QComboBox):
                w.setCurrentText(str(value))
            elif isinstance(w, QSpinBox):
                w.setValue(int(value))
            elif isinstance(w, QDoubleSpinBox):
                w.setValue(float(value))
            elif isinstance(w, QPlainTextEdit):
                if w.toPlainText() != str(value or ""):
                    w.setPlainText(str(value or ""))
            elif self.spec.kind is ParamKind.PATH:
                self.line.setText(str(value or ""))
            else:
                assert isinstance(w, QLineEdit)
                w.setText(
                    ""
                    if value is None
                    else f"{value:g}"
                    if isinstance(value, float)
                    else str(value)
                )
        finally:
            w.blockSignals(False)
        self.show_error("")

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))
        target = self.line if self.spec.kind is ParamKind.PATH else self.editor
        target.setStyleSheet("border: 1px solid #dc2626; border-radius: 3px;" if message else "")

    def set_visible(self, visible: bool) -> None:
        self.label.setVisible(visible)
        self.field.setVisible(visible)

    def _commit(self, *_: object) -> None:
        self._on_commit(self)

    def coerced(self) -> Any:
        """The editor's value converted by the schema (raises :class:`ParameterError`)."""
        return self.spec.coerce(self.stage, self.raw_value())


def _spin_friendly(spec: ParamSpec) -> bool:
    """Bounded floats with a modest, linear range read best in a spin box."""
    if spec.minimum is None or spec.maximum is None:
        return False
    lo, hi = spec.minimum, spec.maximum
    return hi - lo <= 1000 and (lo == 0 or lo >= 0.01)


class NodeInspector(QWidget):
    """Shows and edits the parameters of the node selected in a :class:`PipelineEditor`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._editor: Any = None
        self.node_id: str | None = None
        self.spec: StageSpec | None = None
        self.rows: dict[str, ParamRow] = {}
        self._title_edit: QLineEdit | None = None
        # () -> (workspace, project name) of the open pipeline: the Validate data page shows
        # its stored reference schema and the re-baseline action (None: not shown)
        self.schema_context: Callable[[], Any] | None = None
        self.schema_box: QWidget | None = None
        self.roles_button: QPushButton | None = None
        self.roles_dialog: Any = None
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._scroll = QScrollArea(self)
        self._scroll.setWidgetResizable(True)
        self._scroll.setFrameShape(QFrame.Shape.NoFrame)
        self._scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._layout.addWidget(self._scroll)
        self._show_placeholder("No pipeline open")

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        """Rebuild the page in the new theme's colours when the application palette changes."""
        super().changeEvent(event)
        if not hasattr(self, "_scroll") or not colors.scheme_changed_for(self, event):
            return
        if self.node_id is not None:
            self._show_node(self.node_id)
        else:
            self._show_placeholder(getattr(self, "_placeholder", ""))

    # ------------------------------------------------------------- editor
    @property
    def editor(self) -> Any:
        return self._editor

    def set_editor(self, editor: Any) -> None:
        """Follow ``editor``'s selection (``None`` to show nothing)."""
        if self._editor is not None:
            try:
                self._editor.selection_changed.disconnect(self._on_editor_selection_changed)
                self._editor.document_changed.disconnect(self._on_editor_document_changed)
            except (RuntimeError, TypeError):
                pass
        self._editor = editor
        if editor is None:
            self._show_node(None)
            self._show_placeholder("No pipeline open")
            return
        editor.selection_changed.connect(self._on_editor_selection_changed)
        editor.document_changed.connect(self._on_editor_document_changed)
        self._on_editor_selection_changed(editor.selected_node_ids())

    def _on_editor_selection_changed(self, node_ids: list) -> None:
        if len(node_ids) == 1:
            self._show_node(node_ids[0])
        else:
            self._show_node(None)
            self._show_placeholder(
                f"{len(node_ids)} stages selected"
                if node_ids
                else "Select a stage to edit its parameters"
            )

    def _on_editor_document_changed(self) -> None:
        if self.node_id is None:
            return
        if self.node_id not in self._editor.pipeline.nodes:
            self._on_editor_selection_changed(self._editor.selected_node_ids())
            return
        self._refresh_values()

    # ------------------------------------------------------------- build
    def _show_placeholder(self, text: str) -> None:
        label = QLabel(text)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setWordWrap(True)
        label.setStyleSheet(f"color: {colors.css('muted_text')}; padding: 24px;")
        self._placeholder = text
        self._scroll.setWidget(label)

    def _show_node(self, node_id: str | None) -> None:
        self.node_id = node_id
        self.rows = {}
        self._title_edit = None
        self.schema_box = None
        if node_id is None or self._editor is None:
            self.spec = None
            return
        pipeline = self._editor.pipeline
        node = pipeline.node(node_id)
        self.spec = spec = pipeline.registry.find(node.type)
        page = QWidget()
        outer = QVBoxLayout(page)
        outer.setContentsMargins(12, 12, 12, 12)
        outer.setSpacing(10)
        outer.addWidget(self._header(node.type, spec))
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setVerticalSpacing(8)
        self._title_edit = QLineEdit(node.title)
        self._title_edit.editingFinished.connect(self._on_title_edit_finished)
        form.addRow("Title", self._title_edit)
        if spec is not None:
            for pspec in spec.params:
                row = ParamRow(pspec, spec.title, self._on_row_committed)
                row.setParent(page)
                self.rows[pspec.name] = row
                form.addRow(row.label, row.field)
        outer.addLayout(form)
        self.schema_box = self._schema_box(node.type, node_id, page)
        self.roles_button = None
        if node.type == "load_data":
            self.roles_button = QPushButton("Column roles…", page)
            self.roles_button.setToolTip("Each column's type, role and why; change a role")
            self.roles_button.clicked.connect(self.show_column_roles)
            outer.addWidget(self.roles_button)
        if self.schema_box is not None:
            outer.addWidget(self.schema_box)
        outer.addStretch(1)
        self._scroll.setWidget(page)
        self._refresh_values()
        target = self.rows.get("target")
        if node.type == "load_data" and target is not None and isinstance(target.editor, QLineEdit):
            target.editor.textEdited.connect(self._check_data)  # as the user types

    def show_column_roles(self) -> None:
        """Open the column roles of the selected Load data stage's file; OK writes its
        ``roles`` parameter through the undo stack."""
        from mlops_desktop.app.column_roles import preview_roles
        from mlops_desktop.qt.inspector.column_roles import ColumnRolesDialog

        node = self._editor.pipeline.nodes.get(self.node_id) if self._editor else None
        if node is None or node.type != "load_data":
            return
        row = self.rows.get("roles")
        try:
            if str(node.params.get("source")) != "file":
                raise ValueError("column roles are shown for a file source")
            columns = preview_roles(
                str(node.params.get("path") or ""),
                str(node.params.get("target") or ""),
                str(node.params.get("roles") or ""),
                bool(node.params.get("auto_roles", True)),
            )
        except ValueError as exc:
            if row is not None:
                row.show_error(str(exc))
            return
        node_id = node.id
        self.roles_dialog = ColumnRolesDialog(columns, self)

        def apply() -> None:
            current = self._editor.pipeline.nodes.get(node_id)
            if current is not None:
                params = dict(current.params)
                params["roles"] = self.roles_dialog.roles()
                self._editor.set_params(node_id, params)

        self.roles_dialog.accepted.connect(apply)
        self.roles_dialog.open()

    def _schema_box(self, type_id: str, node_id: str, page: QWidget) -> QWidget | None:
        """A Validate data page's reference schema and re-baseline action (with a workspace)."""
        context = self.schema_context() if self.schema_context is not None else None
        if type_id != "validate_data" or not context or context[0] is None or not context[1]:
            return None
        from mlops_desktop.qt.inspector.schema_reference import SchemaReferenceBox

        return SchemaReferenceBox(context[0], context[1], node_id, page)

    def _check_data(self, *_: object) -> None:
        """A Load data stage reading a file: say at once when the file cannot be read or the
        target is not one of its columns (only the header is read)."""
        from mlops_desktop.app.data_checks import file_columns, target_problem

        node = self._editor.pipeline.nodes.get(self.node_id) if self._editor else None
        path_row, target_row = self.rows.get("path"), self.rows.get("target")
        if node is None or node.type != "load_data" or path_row is None or target_row is None:
            return
        if str(node.params.get("source")) != "file":
            return
        path = str(path_row.raw_value() or "")
        if not path:
            return
        try:
            columns = file_columns(path)
        except ValueError as exc:
            path_row.show_error(str(exc))
            return
        path_row.show_error("")
        target = str(target_row.raw_value() or "")
        target_row.show_error(target_problem(columns, target, Path(path).name) if target else "")

    def _header(self, type_id: str, spec: StageSpec | None) -> QWidget:
        box = QWidget()
        lay = QVBoxLayout(box)
        lay.setContentsMargins(0, 0, 0, 4)
        lay.setSpacing(4)
        top = QHBoxLayout()
        icon = QLabel()
        if spec is not None:
            icon.setPixmap(icon_pixmap(spec.icon, category_colour(spec.category), 28))
        name = QLabel(
            f"<b style='font-size:12pt'>{spec.title if spec else type_id}</b>"
            f"<br><span style='color:{colors.css('muted_text')}'>"
            f"{spec.category if spec else 'Unknown stage type'}</span>"
        )
        top.addWidget(icon)
        top.addWidget(name, 1)
        lay.addLayout(top)
        if spec is not None:
            desc = QLabel(spec.description)
            desc.setWordWrap(True)
            desc.setStyleSheet(f"color: {colors.css('muted_text')};")
            lay.addWidget(desc)
        return box

    # ------------------------------------------------------------- values
    def _refresh_values(self) -> None:
        node = self._editor.pipeline.nodes.get(self.node_id)
        if node is None:
            return
        if self._title_edit is not None and not self._title_edit.hasFocus():
            self._title_edit.setText(node.title)
        for name, row in self.rows.items():
            row.set_value(node.params.get(name, row.spec.default))
        self._update_visibility(node.params)
        if self.schema_box is not None:  # only a check against a stored reference has one
            self.schema_box.setVisible(str(node.params.get("schema_source")) == "reference")
        self._check_data()

    def _update_visibility(self, params: dict | Any) -> None:
        from mlops_desktop.stages.specs_model import ESTIMATOR_PARAMS

        used = None
        if self.spec is not None and self.spec.id == "train":
            used = ESTIMATOR_PARAMS.get(str(params.get("estimator")))
            self._offer_fitting_estimators()
        for name, row in self.rows.items():
            cond = row.spec.visible_when
            shown = cond is None or str(params.get(cond[0])) == cond[1]
            if used is not None and name != "estimator":
                shown = shown and name in used  # only what the chosen estimator reads
            row.set_visible(shown)

    def _offer_fitting_estimators(self) -> None:
        """Grey out the estimators that do not fit the task, when the data upstream tells it
        (Load data's chosen task, or a bundled dataset); a file's inferred task is known only
        when it is read."""
        from mlops_desktop.stages.specs_model import (
            CLASSIFIERS,
            REGRESSION_DATASETS,
            REGRESSORS,
        )

        row = self.rows.get("estimator")
        pipeline = self._editor.pipeline if self._editor is not None else None
        if row is None or pipeline is None or not isinstance(row.editor, QComboBox):
            return
        seen, todo, task = set(), [self.node_id], None
        while todo and task is None:
            node_id = todo.pop()
            for link in pipeline.incoming(node_id):
                if link.source in seen:
                    continue
                seen.add(link.source)
                node = pipeline.nodes[link.source]
                if node.type == "load_data":
                    if node.params.get("task", "auto") in ("classification", "regression"):
                        task = str(node.params["task"])  # the task the user chose
                    elif node.params.get("source", "sklearn") == "sklearn":
                        dataset = node.params.get("dataset")
                        task = "regression" if dataset in REGRESSION_DATASETS else "classification"
                    else:
                        task = ""
                    break
                todo.append(link.source)
        fitting = set(REGRESSORS if task == "regression" else CLASSIFIERS) if task else None
        model = row.editor.model()
        for i in range(row.editor.count()):
            item = model.item(i) if hasattr(model, "item") else None
            if item is not None:
                item.setEnabled(fitting is None or row.editor.itemText(i) in fitting)

    def _on_row_committed(self, row: ParamRow) -> None:
        if self._editor is None or self.node_id is None:
            return
        node = self._editor.pipeline.nodes.get(self.node_id)
        if node is None:
            return
        try:
            value = row.coerced()
        except ParameterError as exc:
            row.show_error(str(exc).split(": ", 1)[-1])
            return
        row.show_error("")
        if node.params.get(row.spec.name) == value and row.spec.name in node.params:
            return
        params = dict(node.params)
        params[row.spec.name] = value
        if not self._editor.set_params(self.node_id, params):
            row.show_error("refused: see the status bar")

    def _on_title_edit_finished(self) -> None:
        if self._editor is not None and self.node_id is not None and self._title_edit is not None:
            title = self._title_edit.text()
            if not title.strip():
                self._title_edit.setText(self._editor.pipeline.node(self.node_id).title)
                return
            self._editor.rename_node(self.node_id, title)
