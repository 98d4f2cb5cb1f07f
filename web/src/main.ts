import { probeAccess } from './access.ts';
import { createApi, uploadToTicket } from './api.ts';
import { createChat } from './chat.ts';
import { currentConnection, loadDefaults, type Connection } from './connection.ts';
import { byId, h } from './dom.ts';
import type { ChatConfig, ChatModel, SessionItem } from './types.ts';
import { type AdminTab, createAdminView } from './ui/admin-view.ts';
import { createComposer } from './ui/composer.ts';
import { createConfigDialog } from './ui/config-dialog.ts';
import { confirmAction } from './ui/confirm.ts';
import { createConnectionDialog } from './ui/connection-dialog.ts';
import { createModelTest } from './ui/model-test.ts';
import { fillIcons } from './ui/icons.ts';
import { errorText, isAuthError, showError, showInfo } from './ui/notices.ts';
import { createMyUsage } from './ui/my-usage.ts';
import { createSidebar } from './ui/sidebar.ts';
import './styles.css';

const MODEL_KEY = 'ai-chat.model';
const SESSION_HASH = /^#session=([\w-]+)$/;
const ADMIN_HASH = /^#(usage|quotas)$/;

const start = async () => {
  fillIcons(document);
  const defaults = await loadDefaults();
  let connection: Connection = currentConnection(defaults);
  const api = createApi(() => connection);
  let models: ChatModel[] = [];
  let config: ChatConfig | null = null;

  const modelSelect = byId<HTMLSelectElement>('model-select');
  const reasoningToggle = byId('reasoning-toggle');
  const reasoningBox = byId<HTMLInputElement>('reasoning');
  const selectedModel = () => models.find((m) => String(m.modelId) === modelSelect.value);

  const updateCapabilities = () => {
    const model = selectedModel();
    reasoningToggle.hidden = model?.supportReasoning !== 'Y';
    composer.setImagesAllowed(model?.supportImages === 'Y' && config?.visionEnabled === '0');
  };

  const applyConfig = (next: ChatConfig) => {
    config = next;
    document.body.classList.toggle('show-metrics', next.metricsDefaultVisible === '0');
    updateCapabilities();
  };

  const failed = (err: unknown) => {
    if (isAuthError(err)) connectionDialog.open(`登录失效或令牌无效：${errorText(err)}`);
    else showError(err);
  };

  const refreshSessions = async () => {
    try {
      sidebar.render(await api.sessions());
    } catch (err) {
      failed(err);
    }
  };

  const setSessionHash = (sessionId: string | null) =>
    history.replaceState(null, '', sessionId ? `#session=${sessionId}` : location.pathname + location.search);

  const sidebarEl = byId('sidebar');
  const scrim = byId('scrim');
  const toggleSidebar = byId('toggle-sidebar');
  const setSidebarOpen = (open: boolean) => {
    sidebarEl.classList.toggle('open', open);
    scrim.hidden = !open;
    toggleSidebar.setAttribute('aria-expanded', String(open));
  };

  const busy = () => {
    if (chat.running()) showInfo('请先停止当前回复');
    return chat.running();
  };

  const openSession = async (sessionId: string) => {
    if (busy()) return;
    setSidebarOpen(false);
    admin.close();
    try {
      chat.show(await api.session(sessionId));
      sidebar.setActive(sessionId);
      setSessionHash(sessionId);
    } catch (err) {
      failed(err);
    }
  };

  const newChat = () => {
    if (busy()) return;
    setSidebarOpen(false);
    admin.close();
    chat.show(null);
    sidebar.setActive(null);
    setSessionHash(null);
    composer.focus();
  };

  const removeSession = async (session: SessionItem) => {
    if (!(await confirmAction(`删除会话“${session.sessionTitle || session.sessionId}”？删除后不可恢复。`))) return;
    if (session.sessionId === chat.sessionId() && busy()) return;
    try {
      await api.deleteSession(session.sessionId);
      showInfo('删除成功');
      if (session.sessionId === chat.sessionId()) newChat();
    } catch (err) {
      failed(err);
    }
    await refreshSessions();
  };

  const sidebar = createSidebar({ open: (id) => void openSession(id), remove: (s) => void removeSession(s) });

  const chat = createChat({
    api,
    connection: () => connection,
    sessionStarted(sessionId) {
      sidebar.setActive(sessionId);
      setSessionHash(sessionId);
      void refreshSessions();
    },
    runEnded() {
      void refreshSessions();
      void myUsage.refresh();
    },
    runningChanged: (running) => composer.setRunning(running),
    failed,
  });

  const composer = createComposer({
    upload: async (file) => uploadToTicket(await api.requestUpload(file), file),
    maxImageMb: () => config?.imageMaxSizeMb ?? 5,
    send(outgoing) {
      const model = selectedModel();
      if (!model) return showError('请先选择模型');
      void chat.send(outgoing, model.modelId, !reasoningToggle.hidden && reasoningBox.checked);
    },
    stop: () => void chat.stop(),
  });

  const configDialog = createConfigDialog({
    current: () => config,
    async save(next) {
      await api.saveConfig(next);
      applyConfig(await api.config());
      showInfo('保存成功');
    },
  });

  createModelTest({ api, selected: selectedModel, failed });

  const modelName = (modelId: string) => {
    const model = models.find((m) => String(m.modelId) === modelId);
    return model ? model.modelName || model.modelCode : undefined;
  };
  const myUsage = createMyUsage({ api, modelName });

  const admin = createAdminView({
    api,
    models: () => models,
    modelName,
    failed,
    quotasChanged: () => void myUsage.refresh(),
    closed() {
      admin.close();
      setSessionHash(chat.sessionId());
    },
  });

  const renderModels = () => {
    const remembered = localStorage.getItem(MODEL_KEY);
    modelSelect.replaceChildren(...models.map((m) => h('option', { value: m.modelId }, m.modelName || m.modelCode)));
    if (!models.length) modelSelect.append(h('option', { value: '' }, '没有可用的模型'));
    if (models.some((m) => String(m.modelId) === remembered)) modelSelect.value = remembered!;
    updateCapabilities();
  };

  /**
   * Loads what depends on who is signed in; asks for a token first when there is none.
   * `data-ready` says it is done, for the first load and each one after a sign-in.
   */
  const loadAll = async () => {
    document.body.dataset.ready = 'false';
    connection = currentConnection(defaults);
    if (!connection.token) {
      connectionDialog.open('请填写访问令牌（Bearer token）');
      document.body.dataset.ready = 'true';
      return;
    }
    const adminTab = ADMIN_HASH.exec(location.hash)?.[1] as AdminTab | undefined;
    try {
      const [modelList, chatConfig, access] = await Promise.all([api.models(), api.config(), probeAccess(api)]);
      models = modelList;
      renderModels();
      applyConfig(chatConfig);
      admin.setAccess(access);
      await Promise.all([refreshSessions(), myUsage.refresh()]);
      const hashed = SESSION_HASH.exec(location.hash)?.[1];
      if (hashed) await openSession(hashed);
      else newChat();
      if (adminTab) admin.open(adminTab);
    } catch (err) {
      failed(err);
    }
    document.body.dataset.ready = 'true';
  };

  /**
   * Another account signs in: what the last one was shown (its models, chat config,
   * conversation, sessions, own use, the admin pages' figures) goes at once, not when the
   * next one's load succeeds; a refused token leaves nothing of it on the page. A reply
   * still streaming stays until it is stopped, as it does for a new chat.
   */
  const forgetAccount = () => {
    models = [];
    renderModels();
    config = null;
    if (!chat.running()) chat.show(null);
    sidebar.render([]);
    if (SESSION_HASH.test(location.hash)) setSessionHash(null);
    myUsage.clear();
    admin.clear();
  };

  const connectionDialog = createConnectionDialog({
    current: () => connection,
    changed() {
      forgetAccount();
      void loadAll();
    },
  });

  modelSelect.addEventListener('change', () => {
    localStorage.setItem(MODEL_KEY, modelSelect.value);
    updateCapabilities();
  });
  byId('new-chat').addEventListener('click', newChat);
  byId('open-config').addEventListener('click', () => configDialog.open());
  byId('open-admin').addEventListener('click', () => admin.open());
  byId('open-connection').addEventListener('click', () => connectionDialog.open());
  toggleSidebar.addEventListener('click', () => setSidebarOpen(!sidebarEl.classList.contains('open')));
  scrim.addEventListener('click', () => setSidebarOpen(false));

  await loadAll();
};

void start();
