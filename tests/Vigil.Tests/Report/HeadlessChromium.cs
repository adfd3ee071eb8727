using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Vigil.Tests.Report;

/// <summary>
/// Drives a real Chromium over the Chrome DevTools Protocol (CDP): starts <c>chromium --headless
/// --remote-debugging-port=0</c> with a throw-away profile, reads the port it chose from the profile's
/// DevToolsActivePort file, and talks JSON over one WebSocket (flattened sessions: one per page).
/// No driver download, no Node, nothing but the browser the system has (Debian's <c>chromium</c> package,
/// or the binary named by VIGIL_CHROMIUM).
/// </summary>
public sealed class HeadlessChromium : IAsyncDisposable
{
    public static string ExecutablePath =>
        Environment.GetEnvironmentVariable("VIGIL_CHROMIUM") is { Length: > 0 } p ? p : "/usr/bin/chromium";

    private readonly Process _process;
    private readonly string _profile;
    private readonly ClientWebSocket _ws = new();
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonElement>> _pending = new();
    private readonly ConcurrentDictionary<string, ChromiumPage> _pages = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly StringBuilder _stderr = new();
    private Task? _receive;
    private int _nextId;

    private HeadlessChromium(Process process, string profile)
    {
        _process = process;
        _profile = profile;
    }

    public static async Task<HeadlessChromium> LaunchAsync()
    {
        string exe = ExecutablePath;
        if (!File.Exists(exe))
            throw new InvalidOperationException($"no Chromium at {exe}: install Debian's chromium (apt-get install -y chromium, as .ci/run does) or set VIGIL_CHROMIUM");
        string profile = Path.Combine(Path.GetTempPath(), "vigil-chromium-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(profile);
        var psi = new ProcessStartInfo(exe)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
                 {
                     "--headless", "--remote-debugging-port=0", "--user-data-dir=" + profile,
                     // Sandboxing needs user namespaces, which containers (and root) often lack; the pages are our own files.
                     "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     // Keep the browser itself quiet on the network too (update checks, safe browsing, sync, metrics).
                     "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--disable-extensions", "--disable-default-apps",
                     "--metrics-recording-only", "--mute-audio", "--hide-scrollbars", "about:blank",
                 })
            psi.ArgumentList.Add(arg);
        var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {exe}");
        var browser = new HeadlessChromium(process, profile);
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (browser._stderr) browser._stderr.AppendLine(e.Data); };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        try
        {
            // Chromium writes "PORT\n/devtools/browser/ID" once it listens.
            string portFile = Path.Combine(profile, "DevToolsActivePort");
            var deadline = Stopwatch.StartNew();
            string[]? lines = null;
            while (deadline.Elapsed < TimeSpan.FromSeconds(60))
            {
                if (process.HasExited) throw new InvalidOperationException($"chromium exited with {process.ExitCode}: {browser.Stderr}");
                if (File.Exists(portFile))
                {
                    lines = (await File.ReadAllTextAsync(portFile)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
                    if (lines.Length >= 2) break;
                }
                await Task.Delay(50);
            }
            if (lines is null || lines.Length < 2) throw new TimeoutException($"chromium did not open its DevTools port in 60 s: {browser.Stderr}");
            await browser._ws.ConnectAsync(new Uri($"ws://127.0.0.1:{lines[0].Trim()}{lines[1].Trim()}"), CancellationToken.None);
            browser._receive = Task.Run(browser.ReceiveLoop);
            return browser;
        }
        catch
        {
            await browser.DisposeAsync();
            throw;
        }
    }

    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

    /// <summary>A new tab with Runtime, Log, Network and Page events recorded.</summary>
    public async Task<ChromiumPage> NewPageAsync(int width = 1400, int height = 1000)
    {
        var target = await SendAsync("Target.createTarget", new JsonObject { ["url"] = "about:blank" });
        string targetId = target.GetProperty("targetId").GetString()!;
        var attached = await SendAsync("Target.attachToTarget", new JsonObject { ["targetId"] = targetId, ["flatten"] = true });
        string session = attached.GetProperty("sessionId").GetString()!;
        var page = new ChromiumPage(this, session, targetId);
        _pages[session] = page;
        foreach (var domain in new[] { "Runtime.enable", "Log.enable", "Network.enable", "Page.enable" })
            await SendAsync(domain, null, session);
        await SendAsync("Emulation.setDeviceMetricsOverride",
            new JsonObject { ["width"] = width, ["height"] = height, ["deviceScaleFactor"] = 1, ["mobile"] = false }, session);
        return page;
    }

    internal async Task ClosePageAsync(ChromiumPage page)
    {
        _pages.TryRemove(page.Session, out _);
        try { await SendAsync("Target.closeTarget", new JsonObject { ["targetId"] = page.TargetId }); }
        catch (Exception) when (_ws.State != WebSocketState.Open) { }
    }

    /// <summary>Sends one command and waits for its result (the "result" object); a protocol error throws.</summary>
    public async Task<JsonElement> SendAsync(string method, JsonObject? parameters = null, string? session = null, TimeSpan? timeout = null)
    {
        int id = Interlocked.Increment(ref _nextId);
        var msg = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters ?? new JsonObject() };
        if (session is not null) msg["sessionId"] = session;
        var tcs = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = tcs;
        var bytes = Encoding.UTF8.GetBytes(msg.ToJsonString());
        await _sendLock.WaitAsync();
        try { await _ws.SendAsync(bytes, WebSocketMessageType.Text, true, CancellationToken.None); }
        finally { _sendLock.Release(); }
        var limit = timeout ?? TimeSpan.FromSeconds(120);
        var done = await Task.WhenAny(tcs.Task, Task.Delay(limit));
        if (done != tcs.Task)
        {
            _pending.TryRemove(id, out _);
            throw new TimeoutException($"CDP {method}: no answer in {limit.TotalSeconds} s");
        }
        return await tcs.Task;
    }

    private async Task ReceiveLoop()
    {
        var buffer = new byte[1 << 16];
        var message = new MemoryStream();
        try
        {
            while (!_stop.IsCancellationRequested && _ws.State == WebSocketState.Open)
            {
                var r = await _ws.ReceiveAsync(buffer, _stop.Token);
                if (r.MessageType == WebSocketMessageType.Close) break;
                message.Write(buffer, 0, r.Count);
                if (!r.EndOfMessage) continue;
                using (var doc = JsonDocument.Parse(message.GetBuffer().AsMemory(0, (int)message.Length)))
                    Dispatch(doc.RootElement.Clone());
                message.SetLength(0);
            }
        }
        catch (OperationCanceledException) { }
        catch (WebSocketException) { }
        foreach (var p in _pending.Values) p.TrySetException(new InvalidOperationException("the DevTools connection closed: " + Stderr));
    }

    private void Dispatch(JsonElement m)
    {
        if (m.TryGetProperty("id", out var idEl))
        {
            if (!_pending.TryRemove(idEl.GetInt32(), out var tcs)) return;
            if (m.TryGetProperty("error", out var err)) tcs.TrySetException(new InvalidOperationException("CDP error: " + err.GetRawText()));
            else tcs.TrySetResult(m.TryGetProperty("result", out var res) ? res : default);
            return;
        }
        if (m.TryGetProperty("sessionId", out var s) && _pages.TryGetValue(s.GetString()!, out var page))
            page.OnEvent(m.GetProperty("method").GetString()!, m.TryGetProperty("params", out var p) ? p : default);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_ws.State == WebSocketState.Open)
                await SendAsync("Browser.close", timeout: TimeSpan.FromSeconds(10));
        }
        catch (Exception) { /* closing anyway */ }
        _stop.Cancel();
        if (!_process.WaitForExit(10_000)) _process.Kill(entireProcessTree: true);
        _process.Dispose();
        _ws.Dispose();
        try { Directory.Delete(_profile, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>One tab: navigation, script evaluation, screenshots, and what the page logged and requested.</summary>
public sealed class ChromiumPage(HeadlessChromium browser, string session, string targetId) : IAsyncDisposable
{
    public string Session { get; } = session;
    public string TargetId { get; } = targetId;
    /// <summary>Console errors, uncaught exceptions and browser log errors (CSP violations land here).</summary>
    public ConcurrentQueue<string> Errors { get; } = new();
    /// <summary>Every URL the page asked the network stack for (Network.requestWillBeSent), in order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();
    /// <summary>Requests that failed, with Chromium's reason (e.g. blockedReason "csp").</summary>
    public ConcurrentQueue<string> Failed { get; } = new();
    private readonly ConcurrentDictionary<string, string> _requestUrls = new();
    private TaskCompletionSource _load = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal void OnEvent(string method, JsonElement p)
    {
        switch (method)
        {
            case "Runtime.consoleAPICalled":
                string type = p.GetProperty("type").GetString()!;
                if (type is "error" or "assert")
                    Errors.Enqueue($"console.{type}: " + string.Join(" ", p.GetProperty("args").EnumerateArray().Select(a => a.GetRawText())));
                break;
            case "Runtime.exceptionThrown":
                Errors.Enqueue("exception: " + p.GetProperty("exceptionDetails").GetRawText());
                break;
            case "Log.entryAdded":
                var entry = p.GetProperty("entry");
                if (entry.GetProperty("level").GetString() == "error")
                    Errors.Enqueue($"log ({entry.GetProperty("source").GetString()}): {entry.GetProperty("text").GetString()}");
                break;
            case "Network.requestWillBeSent":
                string url = p.GetProperty("request").GetProperty("url").GetString()!;
                _requestUrls[p.GetProperty("requestId").GetString()!] = url;
                Requests.Enqueue(url);
                break;
            case "Network.loadingFailed":
                _requestUrls.TryGetValue(p.GetProperty("requestId").GetString()!, out var failedUrl);
                string reason = p.TryGetProperty("blockedReason", out var br) ? "blocked:" + br.GetString() : p.GetProperty("errorText").GetString()!;
                Failed.Enqueue($"{failedUrl} {reason}");
                break;
            case "Page.loadEventFired":
                _load.TrySetResult();
                break;
        }
    }

    public Task<JsonElement> SendAsync(string method, JsonObject? parameters = null, TimeSpan? timeout = null) =>
        browser.SendAsync(method, parameters, Session, timeout);

    /// <summary>Navigates and waits for the load event.</summary>
    public async Task GotoAsync(string url, TimeSpan timeout)
    {
        _load = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var nav = await SendAsync("Page.navigate", new JsonObject { ["url"] = url }, timeout);
        if (nav.TryGetProperty("errorText", out var e)) throw new InvalidOperationException($"navigating to {url}: {e.GetString()}");
        if (await Task.WhenAny(_load.Task, Task.Delay(timeout)) != _load.Task)
            throw new TimeoutException($"{url} did not finish loading in {timeout.TotalSeconds} s");
    }

    /// <summary>Evaluates an expression (promises awaited) and returns its JSON value; a thrown error throws.</summary>
    public async Task<JsonElement> EvalAsync(string expression, TimeSpan? timeout = null)
    {
        var r = await SendAsync("Runtime.evaluate", new JsonObject
        {
            ["expression"] = expression, ["returnByValue"] = true, ["awaitPromise"] = true, ["userGesture"] = true,
        }, timeout);
        if (r.TryGetProperty("exceptionDetails", out var ex)) throw new InvalidOperationException($"evaluating {expression}: {ex.GetRawText()}");
        var result = r.GetProperty("result");
        return result.TryGetProperty("value", out var v) ? v : default;
    }

    public async Task<string> EvalStringAsync(string expression) => (await EvalAsync(expression)).ToString();

    /// <summary>Polls a boolean expression until it holds; returns how long that took.</summary>
    public async Task<TimeSpan> WaitForAsync(string condition, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            var v = await EvalAsync($"!!({condition})");
            if (v.ValueKind == JsonValueKind.True) return sw.Elapsed;
            if (sw.Elapsed > timeout) throw new TimeoutException($"waited {timeout.TotalSeconds} s for {condition}; page errors: {string.Join(" | ", Errors)}");
            await Task.Delay(25);
        }
    }

    /// <summary>A PNG of the page from the top, <paramref name="maxHeight"/> CSS pixels at most.</summary>
    public async Task<byte[]> ScreenshotAsync(int maxHeight = 4000)
    {
        var metrics = await SendAsync("Page.getLayoutMetrics");
        var size = metrics.GetProperty("cssContentSize");
        double width = size.GetProperty("width").GetDouble(), height = Math.Min(maxHeight, size.GetProperty("height").GetDouble());
        var shot = await SendAsync("Page.captureScreenshot", new JsonObject
        {
            ["format"] = "png", ["captureBeyondViewport"] = true,
            ["clip"] = new JsonObject { ["x"] = 0, ["y"] = 0, ["width"] = width, ["height"] = height, ["scale"] = 1 },
        });
        return Convert.FromBase64String(shot.GetProperty("data").GetString()!);
    }

    public ValueTask DisposeAsync() => new(browser.ClosePageAsync(this));
}
