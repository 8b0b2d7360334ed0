// Calls to the sandbox's own JSON API: the parsed answer, or an Error carrying its message
// (and, for a refused descriptor, `errors`: every broken rule as {rule, path, message}).

export async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(data.error || `HTTP ${response.status}`);
    error.errors = Array.isArray(data.errors) ? data.errors : [];
    throw error;
  }
  return data;
}
