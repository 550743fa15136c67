// The inspection form on a phone: every change is saved as the officer goes; when the network
// drops, changes wait in a queue (kept in localStorage, so a reload loses nothing) and are sent
// again every few seconds and as soon as the browser is back online. Photos wait in IndexedDB
// (too large for localStorage), so a tab closed or reloaded while offline keeps them too; each
// carries a key of its own, so a retried upload is stored once.
(() => {
  const root = document.getElementById("inspection");
  if (!root) return;
  const csrf = root.dataset.csrf;
  const storeKey = `anbiao-inspection-${root.dataset.id}`;
  const bar = document.getElementById("save-status");
  let queue = [];
  try {
    queue = JSON.parse(localStorage.getItem(storeKey) || "[]");
  } catch (e) {
    queue = [];
  }
  const photos = [];
  let busy = false;

  // Photos waiting to be sent, kept on the phone until the server has them.
  const photoStore = {
    db: null,
    async open() {
      if (!window.indexedDB) return null;
      if (this.db) return this.db;
      this.db = await new Promise((resolve) => {
        const request = indexedDB.open("anbiao-inspection-photos", 1);
        request.onupgradeneeded = () => request.result.createObjectStore("photos", { keyPath: "key" });
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => resolve(null); // private mode: photos then wait in memory only
      });
      return this.db;
    },
    async run(mode, action) {
      const db = await this.open();
      if (!db) return null;
      return new Promise((resolve) => {
        const request = action(db.transaction("photos", mode).objectStore("photos"));
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => resolve(null);
      });
    },
    put(photo) {
      const { item, file, key } = photo;
      return this.run("readwrite", (store) =>
        store.put({ key, item, file, name: file.name, inspection: root.dataset.id }),
      );
    },
    remove(key) {
      return this.run("readwrite", (store) => store.delete(key));
    },
    async waiting() {
      const all = (await this.run("readonly", (store) => store.getAll())) || [];
      return all.filter((p) => p.inspection === root.dataset.id);
    },
  };
  let timer = null;

  const card = (item) => root.querySelector(`.check-item[data-item="${item}"]`);
  const persist = () => localStorage.setItem(storeKey, JSON.stringify(queue));
  const pending = () => queue.length + photos.length;

  function setBar(state, text) {
    bar.dataset.state = state;
    bar.textContent = text;
  }

  function collect(el) {
    const checked = el.querySelector(".outcome-input:checked");
    const level = el.querySelector(".level-input");
    return {
      item: el.dataset.item,
      outcome: checked ? checked.value : "",
      note: el.querySelector(".note-input").value,
      location: el.querySelector(".location-input").value,
      level: el.dataset.major === "1" ? "major" : level.value,
    };
  }

  function apply(data) {
    const el = card(data.item);
    if (!el) return;
    el.querySelectorAll(".outcome-input").forEach((input) => {
      input.checked = input.value === data.outcome;
    });
    el.querySelector(".note-input").value = data.note;
    el.querySelector(".location-input").value = data.location;
    el.querySelector(".level-input").value = data.level;
    toggle(el);
  }

  function toggle(el) {
    const checked = el.querySelector(".outcome-input:checked");
    el.querySelector(".fail-details").classList.toggle("d-none", !checked || checked.value !== "fail");
  }

  function itemStatus(item, text, error) {
    const el = card(item);
    if (!el) return;
    el.querySelector(".item-status").textContent = text;
    el.querySelector(".item-status").classList.toggle("text-danger", Boolean(error));
    el.classList.toggle("item-error", Boolean(error));
  }

  function enqueue(el) {
    const data = collect(el);
    queue = queue.filter((q) => q.item !== data.item);
    queue.push(data);
    persist();
    flush();
  }

  async function post(url, body) {
    body.append("csrfmiddlewaretoken", csrf);
    return fetch(url, {
      method: "POST",
      body,
      headers: { Accept: "application/json", "X-CSRFToken": csrf },
      credentials: "same-origin",
    });
  }

  async function answer(response) {
    try {
      return await response.json();
    } catch (e) {
      return { error: `服务器错误(${response.status})` };
    }
  }

  async function flush() {
    if (busy) return;
    busy = true;
    clearTimeout(timer);
    setBar("saving", `正在保存…`);
    try {
      while (queue.length) {
        const data = queue[0];
        const body = new FormData();
        Object.entries(data).forEach(([k, v]) => body.append(k, v));
        const response = await post(root.dataset.itemUrl, body);
        const result = await answer(response);
        if (response.ok) itemStatus(data.item, `已保存 ${result.saved}`, false);
        else itemStatus(data.item, result.error || "保存失败", true);
        queue.shift(); // a refusal is shown on the item; retrying would be refused again
        persist();
      }
      while (photos.length) {
        const photo = photos[0];
        const body = new FormData();
        body.append("item", photo.item);
        body.append("key", photo.key);
        body.append("file", photo.file, photo.name || photo.file.name);
        const response = await post(root.dataset.photoUrl, body);
        const result = await answer(response);
        if (response.ok) {
          const img = document.createElement("img");
          img.src = result.url;
          img.alt = "现场照片";
          img.className = "photo-thumb";
          card(photo.item).querySelector(".photo-thumbs").appendChild(img);
        } else {
          itemStatus(photo.item, result.error || "照片上传失败", true);
        }
        photos.shift();
        await photoStore.remove(photo.key);
        showPendingPhotos(photo.item);
      }
      setBar("saved", "全部已保存");
    } catch (e) {
      // The network is down (fetch rejected): keep everything queued and try again.
      setBar("offline", `网络已断开,${pending()} 项修改保存在本机,恢复后自动重试`);
      timer = setTimeout(flush, 3000);
    } finally {
      busy = false;
    }
  }

  function showPendingPhotos(item) {
    const n = photos.filter((p) => p.item === item).length;
    card(item).querySelector(".photo-pending").textContent = n ? `${n} 张待上传` : "";
  }

  root.querySelectorAll(".check-item").forEach((el) => {
    el.querySelectorAll(".outcome-input").forEach((input) =>
      input.addEventListener("change", () => {
        toggle(el);
        enqueue(el);
      }),
    );
    el.querySelectorAll(".note-input, .location-input, .level-input").forEach((input) =>
      input.addEventListener("change", () => enqueue(el)),
    );
    el.querySelector(".photo-input").addEventListener("change", async (event) => {
      const taken = Array.from(event.target.files).map((file) => ({
        item: el.dataset.item,
        file,
        key: `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`,
      }));
      event.target.value = "";
      for (const photo of taken) {
        photos.push(photo);
        await photoStore.put(photo);
      }
      showPendingPhotos(el.dataset.item);
      flush();
    });
  });

  // Finishing waits until every change has reached the server.
  const finish = document.getElementById("finish-form");
  finish.addEventListener("submit", async (event) => {
    if (!pending()) return;
    event.preventDefault();
    await flush();
    if (!pending()) finish.submit();
  });

  window.addEventListener("online", flush);
  queue.forEach(apply); // changes made before a reload while offline
  // Photos taken before the tab was closed or reloaded while offline.
  photoStore.waiting().then((waiting) => {
    waiting.forEach((photo) => {
      if (!photos.some((p) => p.key === photo.key)) photos.push(photo);
      showPendingPhotos(photo.item);
    });
    if (pending()) flush();
  });
})();
