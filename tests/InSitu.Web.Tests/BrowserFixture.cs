using Microsoft.Playwright;

namespace InSitu.Web.Tests;

/// <summary>
/// One Chromium for all browser tests: Debian's package (/usr/bin/chromium, or $INSITU_CHROMIUM), driven by Playwright
/// with a fresh profile; started on first use. `playwright install` is never needed.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    private IPlaywright? _playwright;
    private IBrowserContext? _context;
    private readonly string _profile = Directory.CreateTempSubdirectory("insitu-chromium").FullName;

    public static string Executable => Environment.GetEnvironmentVariable("INSITU_CHROMIUM") is { Length: > 0 } e ? e : "/usr/bin/chromium";

    public async Task<IBrowserContext> Context()
    {
        if (_context is not null) return _context;
        if (!File.Exists(Executable))
            throw new FileNotFoundException(
                $"the browser tests need Chromium at {Executable}: `bash scripts/setup.sh` installs Debian's chromium");
        _playwright = await Playwright.CreateAsync();
        _context = await _playwright.Chromium.LaunchPersistentContextAsync(_profile, new BrowserTypeLaunchPersistentContextOptions
        {
            ExecutablePath = Executable,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"],
            ViewportSize = new ViewportSize { Width = 1400, Height = 950 },
            Timeout = 60000,
        });
        _context.SetDefaultTimeout(60000);
        return _context;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_context is not null) await _context.CloseAsync();
        _playwright?.Dispose();
        try
        {
            Directory.Delete(_profile, true);
        }
        catch (IOException)
        {
            // Chromium still writing its profile while closing
        }
    }
}
