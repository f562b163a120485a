/**
 * Local stand-in for OpenAI's ChatKit web component script (chatkit.js from the ChatKit CDN,
 * unreachable here). Served by the end-to-end tests in place of the CDN URL. It follows the
 * public contract of `<openai-chatkit>` that @openai/chatkit-react relies on:
 *  - `customElements.define('openai-chatkit', …)` with `setOptions(options)` (replaces all options);
 *  - `api` is either hosted `{ getClientSecret }` or custom `{ url, domainKey, fetch? }`, and mixing
 *    them is refused like the real runtime does (`InvalidFrameParamsError`);
 *  - DOM events `chatkit.ready`, `chatkit.error`, `chatkit.effect`, `chatkit.response.start/end`,
 *    `chatkit.thread.change` with the documented `detail` shapes.
 * In custom mode it speaks ChatKit's server protocol through `api.fetch`: `threads.create`,
 * `threads.add_user_message` (SSE, `data: <json>` frames), `threads.list`, `threads.get_by_id`,
 * `threads.retry_after_item` (a Retry button under each answer when
 * `threadItemActions.retry` is on), and renders the items, so Chromium drives the real worker end
 * to end. It opens `initialThread`, has the element method `setThreadId`, and emits
 * `chatkit.thread.change` when the thread changes. Everything it saw is recorded on
 * `window.__chatkitStandin` for the tests.
 */
(() => {
  const record = (window.__chatkitStandin = { options: null, secrets: [], requests: [], events: [], errors: [] });

  const textOf = (item) => {
    if (item.type === 'user_message') return item.content.filter((p) => p.type === 'input_text').map((p) => p.text).join('');
    if (item.type === 'assistant_message') return item.content.map((p) => p.text).join('');
    if (item.type === 'workflow') return item.workflow.tasks.map((t) => t.title || t.content || '').join(' · ');
    return '';
  };

  class StandinChatKit extends HTMLElement {
    constructor() {
      super();
      this.options = null;
      this.threadId = null;
      this.items = new Map();
    }

    emit(name, detail) {
      record.events.push(name);
      this.dispatchEvent(new CustomEvent(name, { detail }));
    }

    fail(message) {
      record.errors.push(message);
      this.emit('chatkit.error', { error: new Error(message) });
    }

    setOptions(options) {
      this.options = options;
      const api = options.api || {};
      record.options = JSON.parse(JSON.stringify(options, (key, value) => (typeof value === 'function' ? `[function ${key}]` : value)));
      const hosted = typeof api.getClientSecret === 'function';
      const custom = typeof api.url === 'string';
      if (hosted === custom || (custom && !api.domainKey) || (hosted && 'domainKey' in api)) {
        this.fail('InvalidFrameParamsError: Invalid frame params: ChatKit.create(): ✖ Invalid input → at api');
        return;
      }
      this.render();
      if (hosted) {
        api
          .getClientSecret(null)
          .then((secret) => {
            record.secrets.push(secret);
            this.querySelector('[data-standin="status"]').textContent = 'connected (hosted)';
            this.emit('chatkit.ready');
          })
          .catch((err) => this.fail(String(err && err.message ? err.message : err)));
      } else {
        this.emit('chatkit.ready');
        this.openInitialThread();
      }
    }

    render() {
      const o = this.options;
      this.innerHTML = `
        <div data-standin="root" style="display:flex;flex-direction:column;height:100%;font:14px sans-serif">
          <div style="display:flex;gap:8px;align-items:center;padding:8px;border-bottom:1px solid #e5e7eb">
            <strong>ChatKit (local stand-in)</strong><span data-standin="status"></span>
            <button type="button" data-standin="history">History</button>
            <button type="button" data-standin="new-thread">New</button>
          </div>
          <ul data-standin="history-list" style="margin:0"></ul>
          <p data-standin="greeting"></p>
          <div data-standin="thread" style="flex:1;overflow:auto;padding:8px"></div>
          <div data-standin="error" role="alert" style="color:#b91c1c"></div>
          <form data-standin="composer-form" style="display:flex;gap:8px;padding:8px">
            <textarea data-standin="composer" rows="2" style="flex:1"></textarea>
            <button type="submit" data-standin="send">Send</button>
            <button type="button" data-standin="stop">Stop</button>
          </form>
        </div>`;
      this.querySelector('[data-standin="greeting"]').textContent = (o.startScreen && o.startScreen.greeting) || '';
      this.querySelector('[data-standin="composer"]').placeholder = (o.composer && o.composer.placeholder) || '';
      this.querySelector('[data-standin="composer-form"]').addEventListener('submit', (event) => {
        event.preventDefault();
        const box = this.querySelector('[data-standin="composer"]');
        const text = box.value.trim();
        if (text) {
          box.value = '';
          void this.send(text);
        }
      });
      this.querySelector('[data-standin="history"]').addEventListener('click', () => void this.showHistory());
      this.querySelector('[data-standin="new-thread"]').addEventListener('click', () => this.openThread(null));
      this.querySelector('[data-standin="stop"]').addEventListener('click', () => this.stopResponse());
    }

    async call(type, params, streaming) {
      const api = this.options.api;
      const doFetch = api.fetch || fetch;
      record.requests.push(type);
      const res = await doFetch(api.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(streaming ? { accept: 'text/event-stream' } : {}) },
        body: JSON.stringify({ type, params }),
        ...(streaming ? { signal: this.startResponse() } : {}),
      });
      if (!res.ok) throw new Error(`${type} answered HTTP ${res.status}`);
      return res;
    }

    async send(text) {
      const input = { content: [{ type: 'input_text', text }], attachments: [], quoted_text: '', inference_options: {} };
      const type = this.threadId ? 'threads.add_user_message' : 'threads.create';
      const params = this.threadId ? { thread_id: this.threadId, input } : { input };
      this.querySelector('[data-standin="error"]').textContent = '';
      this.emit('chatkit.response.start');
      try {
        await this.readStream(await this.call(type, params, true));
      } catch (err) {
        if (!this.wasStopped()) {
          this.querySelector('[data-standin="error"]').textContent = String(err.message || err);
          this.fail(String(err.message || err));
        }
      }
      this.emit('chatkit.response.end');
    }

    // --- stop: the user ends a response; the request is aborted and what was shown stays ---

    startResponse() {
      this.responseAbort = new AbortController();
      return this.responseAbort.signal;
    }

    stopResponse() {
      record.events.push('stop');
      if (this.responseAbort) this.responseAbort.abort();
    }

    wasStopped() {
      return Boolean(this.responseAbort && this.responseAbort.signal.aborted);
    }

    async readStream(res) {
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          for (const line of frame.split('\n')) if (line.startsWith('data: ')) this.onEvent(JSON.parse(line.slice(6)));
        }
      }
    }

    onEvent(event) {
      record.events.push(`stream:${event.type}`);
      switch (event.type) {
        case 'thread.created':
          this.threadId = event.thread.id;
          this.emit('chatkit.thread.change', { threadId: this.threadId });
          break;
        case 'thread.item.added':
        case 'thread.item.done':
        case 'thread.item.replaced':
          this.upsert(event.item);
          break;
        case 'thread.item.removed':
          this.items.delete(event.item_id);
          this.querySelector(`[data-item-id="${event.item_id}"]`)?.remove();
          break;
        case 'thread.item.updated': {
          const item = this.items.get(event.item_id);
          const update = event.update;
          if (item && update.type === 'assistant_message.content_part.added') item.content[update.content_index] = update.content;
          if (item && update.type === 'assistant_message.content_part.text_delta') item.content[update.content_index].text += update.delta;
          if (item && update.type === 'assistant_message.content_part.done') item.content[update.content_index] = update.content;
          if (item && update.type === 'workflow.task.added') item.workflow.tasks[update.task_index] = update.task;
          if (item) this.upsert(item);
          break;
        }
        case 'client_effect':
          this.emit('chatkit.effect', { name: event.name, data: event.data });
          break;
        case 'error':
          this.querySelector('[data-standin="error"]').textContent = event.message || 'Something went wrong.';
          break;
        case 'notice':
          this.querySelector('[data-standin="error"]').textContent = event.message;
          break;
        default:
          break;
      }
    }

    upsert(item) {
      this.items.set(item.id, JSON.parse(JSON.stringify(item)));
      const thread = this.querySelector('[data-standin="thread"]');
      let node = this.querySelector(`[data-item-id="${item.id}"]`);
      if (!node) {
        node = document.createElement('div');
        node.dataset.itemId = item.id;
        node.style.margin = '4px 0';
        thread.appendChild(node);
      }
      node.dataset.itemType = item.type;
      node.textContent = `${item.type === 'user_message' ? 'You' : item.type === 'workflow' ? 'Tool' : 'Assistant'}: ${textOf(item)}`;
      this.addRetryButton(node, item);
    }

    async showHistory() {
      const list = this.querySelector('[data-standin="history-list"]');
      list.innerHTML = '';
      const page = await (await this.call('threads.list', { limit: 9999, order: 'desc' }, false)).json();
      for (const thread of page.data) {
        const li = document.createElement('li');
        const button = document.createElement('button');
        button.type = 'button';
        button.dataset.threadId = thread.id;
        button.textContent = thread.title || '(untitled)';
        button.addEventListener('click', () => void this.openThread(thread.id));
        li.appendChild(button);
        list.appendChild(li);
      }
      this.emit('chatkit.history.open');
    }

    async openThread(threadId) {
      this.threadId = threadId;
      this.items.clear();
      this.querySelector('[data-standin="thread"]').innerHTML = '';
      this.emit('chatkit.thread.change', { threadId });
      if (!threadId) return;
      this.emit('chatkit.thread.load.start', { threadId });
      try {
        const thread = await (await this.call('threads.get_by_id', { thread_id: threadId }, false)).json();
        for (const item of thread.items.data) this.upsert(item);
      } catch (err) {
        this.fail(String(err.message || err));
      }
      this.emit('chatkit.thread.load.end', { threadId });
    }

    // --- thread selection from the host page: `initialThread` and the `setThreadId` method ---

    openInitialThread() {
      const initial = this.options && this.options.initialThread;
      if (initial) void this.openThread(initial);
    }

    async setThreadId(threadId) {
      await this.openThread(threadId || null);
    }

    // --- retry (`threadItemActions.retry`): regenerate the answer to the user message before it ---

    addRetryButton(node, item) {
      const actions = this.options && this.options.threadItemActions;
      if (item.type !== 'assistant_message' || !actions || !actions.retry) return;
      const button = document.createElement('button');
      button.type = 'button';
      button.dataset.standin = 'retry';
      button.textContent = 'Retry';
      button.addEventListener('click', () => void this.retryAnswer(item.id));
      node.appendChild(document.createTextNode(' '));
      node.appendChild(button);
    }

    async retryAnswer(assistantItemId) {
      const ids = [...this.items.keys()];
      const before = ids.slice(0, ids.indexOf(assistantItemId)).reverse();
      const userItemId = before.find((id) => this.items.get(id).type === 'user_message');
      if (!userItemId || !this.threadId) return;
      // What the client does itself on retry: drop everything after the retried message.
      for (const id of ids.slice(ids.indexOf(userItemId) + 1)) {
        this.items.delete(id);
        this.querySelector(`[data-item-id="${id}"]`)?.remove();
      }
      this.querySelector('[data-standin="error"]').textContent = '';
      this.emit('chatkit.response.start');
      try {
        await this.readStream(await this.call('threads.retry_after_item', { thread_id: this.threadId, item_id: userItemId }, true));
      } catch (err) {
        this.fail(String(err.message || err));
      }
      this.emit('chatkit.response.end');
    }
  }

  customElements.define('openai-chatkit', StandinChatKit);
})();
