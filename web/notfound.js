// The not-found page of an election (/e/{id} of an id that does not exist): served with 404 by
// the server, and shown by the voting page itself if the election cannot be found after all.
import { esc } from "/static/common.js";
import { t, translatePage, onLanguageChange } from "/static/i18n.js";

export function showNotFound(main, id) {
  const render = () => {
    document.title = `${t("notfound.title")} · ${t("title.suffix")}`;
    main.innerHTML = `<section class="card notfound" aria-labelledby="notfound-title">
      <h1 id="notfound-title">${esc(t("notfound.title"))}</h1>
      <p>${esc(t("notfound.text", { id }))}</p>
      <p><a href="/" id="notfound-link">${esc(t("notfound.link"))}</a></p></section>`;
  };
  render();
  translatePage();
  onLanguageChange(render);
}
