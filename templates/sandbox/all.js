// HipChat's client script for add-on views (HIPCHAT-CONNECT.md §11), as the sandbox serves it
// at {HipChat}/atlassian-connect/all.js: a postMessage bridge to the HipChat page around the
// view's iframe. Messages are exchanged only with the parent window, only on HipChat's origin.
(function () {
  'use strict';
  var script = document.currentScript;
  var hipchatOrigin = new URL(script ? script.src : location.href).origin;
  var seq = 0;
  var waiting = {};
  var handlers = {};

  function call(name, args) {
    return new Promise(function (resolve, reject) {
      var id = ++seq;
      waiting[id] = { resolve: resolve, reject: reject };
      window.parent.postMessage({ hipchat: 'call', id: id, name: name, args: args || {} }, hipchatOrigin);
    });
  }

  function node(cb) {
    return function (promise) {
      promise.then(function (v) { cb(null, v); }, function (e) { cb(e); });
    };
  }

  window.addEventListener('message', function (event) {
    if (event.source !== window.parent || event.origin !== hipchatOrigin) return;
    var m = event.data || {};
    if (m.hipchat === 'reply' && waiting[m.id]) {
      var w = waiting[m.id];
      delete waiting[m.id];
      if (m.error) w.reject(new Error(m.error)); else w.resolve(m.result);
    } else if (m.hipchat === 'event' && handlers[m.name]) {
      if (m.name === 'dialog-button-click') {
        handlers[m.name](m.data, function (close) { if (close !== false) call('dialog.close'); });
      } else {
        handlers[m.name](m.data);
      }
    }
  });

  // Esc inside a view reaches HipChat's page too, where it closes the dialog.
  document.addEventListener('keydown', function (event) {
    if (event.key === 'Escape' && !event.defaultPrevented) call('escape').catch(function () {});
  });

  var HipChat = {
    auth: {
      withToken: function (cb) { node(cb)(call('auth.withToken')); },
    },
    register: function (map) {
      Object.keys(map).forEach(function (k) { handlers[k] = map[k]; });
      call('register', { names: Object.keys(map) });
    },
    dialog: {
      open: function (options) { return call('dialog.open', options); },
      updatePrimaryAction: function (options) { return call('dialog.updatePrimaryAction', options); },
      close: function () { return call('dialog.close'); },
    },
    chat: {
      appendMessage: function (text) { return call('chat.appendMessage', { text: text }); },
      focus: function () { return call('chat.focus'); },
      addFileForUploadWithBase64: function () { return Promise.reject(new Error('file uploads are not supported by the sandbox')); },
    },
    room: {
      getRoomDetails: function (cb) { node(cb)(call('room.getRoomDetails')); },
      getParticipants: function (cb) { node(cb)(call('room.getParticipants')); },
    },
    user: {
      getCurrentUser: function (cb) { node(cb)(call('user.getCurrentUser')); },
    },
    sidebar: {
      openView: function (options) { return call('sidebar.openView', options); },
    },
  };
  window.HipChat = HipChat;
  window.AP = {
    register: HipChat.register,
    auth: HipChat.auth,
    dialog: HipChat.dialog,
    chat: HipChat.chat,
    room: HipChat.room,
    user: HipChat.user,
    sidebar: HipChat.sidebar,
    require: function (name, cb) { cb(HipChat[name]); },
  };
})();
