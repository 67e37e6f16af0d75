/* A table whose rows form a tree (organisations; cities and their counties) collapses and expands by level
 * and can be searched by name.
 *
 * <table data-tree data-tree-open="1"> with rows <tr data-id data-parent data-depth data-name>. data-tree-open
 * is how many levels below the top show at first. A controls box [data-tree-controls="<table id>"] (hidden in
 * the markup) holds a search box [data-tree-search], a status line [data-tree-status] and buttons
 * [data-tree-action="collapse|expand-all"]; level buttons are added here. Without JavaScript every row shows
 * and the controls stay hidden, so nothing is lost.
 */
(function () {
  "use strict";

  function TreeTable(table) {
    this.table = table;
    this.rows = Array.prototype.filter.call(table.tBodies[0].rows, function (row) { return row.dataset.id; });
    this.byId = {};
    this.children = {};
    this.expanded = {};
    var self = this;
    this.rows.forEach(function (row) { self.byId[row.dataset.id] = row; });
    this.rows.forEach(function (row) {
      var parent = row.dataset.parent;
      if (parent && self.byId[parent]) {
        (self.children[parent] = self.children[parent] || []).push(row);
      }
    });
    var depths = this.rows.map(function (row) { return +row.dataset.depth; });
    this.minDepth = Math.min.apply(null, depths);
    this.maxDepth = Math.max.apply(null, depths);
    this.rows.forEach(function (row) { self.addToggle(row); });
    this.expandTo(this.minDepth + parseInt(table.dataset.treeOpen || "1", 10));
    this.controls = document.querySelector('[data-tree-controls="' + table.id + '"]');
    if (this.controls) {
      this.wireControls();
    }
  }

  TreeTable.prototype.addToggle = function (row) {
    var cell = row.cells[0];
    var holder = cell.querySelector("[data-tree-name]") || cell;
    if (!this.children[row.dataset.id]) {
      var spacer = document.createElement("span");
      spacer.className = "tree-spacer";
      holder.insertBefore(spacer, holder.firstChild);
      return;
    }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "tree-toggle";
    var self = this;
    button.addEventListener("click", function () {
      var id = row.dataset.id;
      self.expanded[id] = !self.expanded[id];
      self.render();
    });
    holder.insertBefore(button, holder.firstChild);
    row.toggle = button;
  };

  TreeTable.prototype.expandTo = function (depth) {
    var self = this;
    this.rows.forEach(function (row) { self.expanded[row.dataset.id] = +row.dataset.depth < depth; });
    this.render();
  };

  TreeTable.prototype.render = function () {
    var self = this;
    var shown = {};
    this.rows.forEach(function (row) {
      var parent = row.dataset.parent;
      var visible = !(parent && self.byId[parent]) || (shown[parent] && self.expanded[parent]);
      shown[row.dataset.id] = visible;
      row.hidden = !visible;
      self.markToggle(row, self.expanded[row.dataset.id]);
    });
  };

  TreeTable.prototype.markToggle = function (row, open) {
    if (!row.toggle) {
      return;
    }
    var n = this.children[row.dataset.id].length;
    row.toggle.setAttribute("aria-expanded", open ? "true" : "false");
    row.toggle.setAttribute("aria-label", (open ? "收起" : "展开") + row.dataset.name + "的 " + n + " 个下级");
  };

  TreeTable.prototype.search = function (query) {
    var self = this;
    if (!query) {
      this.render();
      return null;
    }
    var keep = {};
    var found = 0;
    this.rows.forEach(function (row) {
      if (row.dataset.name.indexOf(query) === -1) {
        return;
      }
      found += 1;
      for (var id = row.dataset.id; id && self.byId[id] && !keep[id]; id = self.byId[id].dataset.parent) {
        keep[id] = true;
      }
    });
    this.rows.forEach(function (row) {
      var id = row.dataset.id;
      row.hidden = !keep[id];
      // An ancestor shown because of a match reads as open; its other children stay hidden.
      self.markToggle(row, keep[id] && (self.children[id] || []).some(function (c) { return keep[c.dataset.id]; }));
    });
    return found;
  };

  TreeTable.prototype.wireControls = function () {
    var self = this;
    var controls = this.controls;
    var levels = controls.querySelector("[data-tree-levels]");
    if (levels) {
      // "Down to level k" for each level between the top alone (collapse) and everything (expand-all).
      for (var depth = this.minDepth + 1; depth < this.maxDepth; depth += 1) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "button small";
        button.dataset.treeDepth = String(depth);
        button.textContent = "展开到第 " + (depth - this.minDepth + 1) + " 级";
        levels.insertBefore(button, levels.querySelector('[data-tree-action="expand-all"]'));
      }
    }
    var input = controls.querySelector("[data-tree-search]");
    var status = controls.querySelector("[data-tree-status]");
    controls.addEventListener("click", function (event) {
      var button = event.target.closest("button");
      if (!button || !controls.contains(button)) {
        return;
      }
      if (input) {
        input.value = "";
      }
      if (status) {
        status.textContent = "";
      }
      if (button.dataset.treeAction === "collapse") {
        self.expandTo(self.minDepth);
      } else if (button.dataset.treeAction === "expand-all") {
        self.expandTo(self.maxDepth);
      } else if (button.dataset.treeDepth) {
        self.expandTo(+button.dataset.treeDepth);
      }
    });
    if (input) {
      input.addEventListener("input", function () {
        var query = input.value.trim();
        var found = self.search(query);
        if (status) {
          status.textContent = query === "" ? "" : found ? "找到 " + found + " 个名称包含“" + query + "”的结果"
            : "没有名称包含“" + query + "”的结果";
        }
      });
    }
    controls.hidden = false;
  };

  document.querySelectorAll("table[data-tree]").forEach(function (table) {
    table.treeTable = new TreeTable(table);
  });
})();
