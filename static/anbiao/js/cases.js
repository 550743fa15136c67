// Case pages (loaded as a file: the CSP forbids inline scripts).
document.addEventListener("DOMContentLoaded", () => {
  // The record form shows the fields of the chosen step: reload it for another step.
  const kind = document.querySelector("#record-form #id_kind");
  if (kind) {
    kind.addEventListener("change", () => {
      const params = new URLSearchParams(window.location.search);
      params.set("kind", kind.value);
      window.location.search = params.toString();
    });
  }
  // Each item is answered 符合, 扣分 or 空项: only 扣分 takes points, which cannot exceed the
  // item's own; a deduction, 空项 or failed veto needs its reason, flagged on leaving the field.
  const needsReason = (form) => {
    const verdict = form.querySelector(".verdict-input:checked");
    const veto = form.querySelector('input[name="veto_failed"]');
    return (verdict && verdict.value !== "conform") || (veto && veto.checked);
  };
  const checkReason = (form) => {
    const reason = form.querySelector(".reason-input");
    if (reason) reason.classList.toggle("is-invalid", needsReason(form) && !reason.value.trim());
  };
  document.querySelectorAll(".item-form").forEach((form) => {
    const deducted = form.querySelector(".deducted-input");
    form.querySelectorAll(".verdict-input").forEach((radio) => {
      radio.addEventListener("change", () => {
        if (!deducted) return;
        deducted.disabled = radio.value !== "deduct";
        if (radio.value === "deduct") {
          deducted.focus();
        } else {
          deducted.value = "";
          deducted.setCustomValidity("");
          deducted.classList.remove("is-invalid");
        }
      });
    });
    if (deducted) {
      deducted.addEventListener("input", () => {
        const points = parseFloat(deducted.dataset.points);
        const value = parseFloat(deducted.value);
        const over = !Number.isNaN(value) && value > points;
        deducted.setCustomValidity(over ? `第${deducted.dataset.code}项最多扣 ${points} 分` : "");
        deducted.classList.toggle("is-invalid", over);
        if (over) deducted.reportValidity();
      });
    }
    const reason = form.querySelector(".reason-input");
    if (reason) {
      reason.addEventListener("blur", () => checkReason(form));
      reason.addEventListener("input", () => {
        if (reason.value.trim()) reason.classList.remove("is-invalid");
      });
    }
  });

  // The scoring form's element index (answered / total and points deducted per element),
  // its filter (未评定 / 扣分 / 空项) and keyboard flow (1 符合, 2 扣分, 3 空项, J/K next/previous).
  const items = document.getElementById("assessment-items");
  if (items) {
    const blocks = () => [...items.querySelectorAll(".item-block")];
    const verdictOf = (block) => {
      const form = block.querySelector(".item-form");
      if (!form) return block.dataset.verdict || "";
      const checked = form.querySelector(".verdict-input:checked");
      return checked ? checked.value : "";
    };
    const deductedOf = (block) => {
      if (verdictOf(block) !== "deduct") return 0;
      const input = block.querySelector(".deducted-input");
      const value = parseFloat(input ? input.value : block.dataset.deducted);
      return Number.isNaN(value) ? 0 : value;
    };
    const refreshIndex = () => {
      items.querySelectorAll(".element-card").forEach((card) => {
        const own = [...card.querySelectorAll(".item-block")];
        const answered = own.filter((b) => verdictOf(b)).length;
        const deducted = own.reduce((sum, b) => sum + deductedOf(b), 0);
        const entry = document.querySelector(`.index-entry[data-element="${card.dataset.element}"]`);
        if (!entry) return;
        entry.querySelector(".index-progress").textContent = `已评 ${answered}/${own.length}`;
        entry.querySelector(".index-deducted").textContent =
          deducted ? `扣 ${Math.round(deducted * 10) / 10} 分` : "";
        entry.classList.toggle("index-done", answered === own.length);
      });
    };
    const applyFilter = () => {
      const chosen = document.querySelector('input[name="item-filter"]:checked');
      const want = chosen ? chosen.value : "all";
      let shown = 0;
      blocks().forEach((block) => {
        const verdict = verdictOf(block);
        const match = want === "all" || (want === "unanswered" ? !verdict : verdict === want);
        block.hidden = !match;
        if (match) shown += 1;
      });
      items.querySelectorAll(".element-card").forEach((card) => {
        card.hidden = !card.querySelector(".item-block:not([hidden])");
      });
      const count = document.getElementById("filter-count");
      if (count) count.textContent = want === "all" ? `共 ${shown} 项` : `${shown} 项`;
    };
    document.querySelectorAll('input[name="item-filter"]').forEach((radio) => {
      radio.addEventListener("change", applyFilter);
    });
    items.addEventListener("change", refreshIndex);
    items.addEventListener("input", refreshIndex);
    const visible = () => blocks().filter((b) => !b.hidden);
    const move = (from, step) => {
      const list = visible();
      const index = from ? list.indexOf(from) : -1;
      const next = list[Math.min(Math.max(index + step, 0), list.length - 1)];
      if (next) {
        next.focus();
        next.scrollIntoView({ block: "center" });
      }
    };
    items.addEventListener("click", (event) => {
      const block = event.target.closest(".item-block");
      if (block && !event.target.closest("input, label, a, button, summary")) block.focus();
    });
    document.addEventListener("keydown", (event) => {
      const target = event.target;
      if (target.matches('input[type="text"], input[type="number"], input[type="file"], textarea')) {
        if (event.key === "Escape") target.closest(".item-block")?.focus();
        return;
      }
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      const block = target.closest ? target.closest(".item-block") : null;
      const key = event.key.toLowerCase();
      if (key === "j" || key === "arrowdown" && block) {
        event.preventDefault();
        move(block, 1);
      } else if (key === "k" || key === "arrowup" && block) {
        event.preventDefault();
        move(block, -1);
      } else if (block && ["1", "2", "3"].includes(key)) {
        const value = { 1: "conform", 2: "deduct", 3: "na" }[key];
        const radio = block.querySelector(`.verdict-input[value="${value}"]`);
        if (!radio) return;
        event.preventDefault();
        radio.checked = true;
        radio.dispatchEvent(new Event("change", { bubbles: true }));
        if (value === "conform") move(block, 1);
      }
    });
    refreshIndex();
    applyFilter();
  }
});
