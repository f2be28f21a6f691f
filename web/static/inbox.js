// The inbox page (parley/web/inbox_page.py): htmx swaps only 2xx answers by default; an inbox action the core
// refused (409: someone holds the item; 422: a field, named beside it; 403; 503: the network is busy) comes back
// as the item with the reason and what was typed, so it is swapped in as well.
document.addEventListener("htmx:beforeSwap", function (event) {
  var status = event.detail.xhr.status;
  var target = event.detail.target;
  if ([403, 409, 422, 503].indexOf(status) >= 0 && target && target.closest && target.closest(".inbox")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});

// The keyboard stays with the item: htmx puts the focus back on an element of the same id (the answer's
// fields, Send, Done); when the pressed button is gone (Claim, once claimed), the item itself takes it.
document.addEventListener("htmx:afterSettle", function (event) {
  var target = event.detail.target;
  if (!target || !target.id || target.id.indexOf("item-") !== 0) return;
  var active = document.activeElement;
  if (!active || active === document.body) {
    var item = document.getElementById(target.id);
    if (item) item.focus();
  }
});
