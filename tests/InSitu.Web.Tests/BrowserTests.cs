using InSitu.Data;
using InSitu.Torch;
using InSitu.Web.Segmentation;
using InSitu.Web.Terms;
using Microsoft.AspNetCore.Builder;
using Microsoft.Playwright;

namespace InSitu.Web.Tests;

/// <summary>
/// The pages in a real browser against a real server (Kestrel on a free loopback port, as `insitu serve` starts it).
/// Set INSITU_SCREENSHOTS=FOLDER to keep a screenshot of each page.
/// </summary>
[Collection("web")]
public sealed class BrowserTests(WebTestData data, BrowserFixture browser) : IAsyncLifetime
{
    private WebApplication? _app;
    private string _base = "";
    private IPage? _page;

    private IPage Page => _page!;

    public async Task InitializeAsync()
    {
        _app = WebServer.Build(SegmentationWorkflow.Wire(data.Options()));
        await _app.StartAsync();
        _base = WebServer.Address(_app).TrimEnd('/');
        _page = await (await browser.Context()).NewPageAsync();
        Page.Console += (_, m) =>
        {
            if (m.Type == "error") Errors.Add(m.Text);
        };
        Page.PageError += (_, e) => Errors.Add(e);
    }

    public async Task DisposeAsync()
    {
        if (_page is not null) await _page.CloseAsync();
        if (_app is not null) await _app.DisposeAsync();
    }

    private List<string> Errors { get; } = new();

    private async Task Open(string path)
    {
        var r = await Page.GotoAsync(_base + path);
        Assert.Equal(200, r!.Status);
    }

    private async Task Shot(string name)
    {
        if (Environment.GetEnvironmentVariable("INSITU_SCREENSHOTS") is { Length: > 0 } folder)
            await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, $"{name}.png"), FullPage = true });
    }

    private void NoScriptErrors() =>
        Assert.True(Errors.Count == 0, "errors in the page: " + string.Join(" | ", Errors));

    private async Task RankQueue()
    {
        await Open($"/queue?m={WebTestData.ManifestId}");
        await Page.SelectOptionAsync("#model", WebTestData.ModelId);
        await Page.ClickAsync("#rank");
        await Page.WaitForFunctionAsync("() => document.querySelector('#item')?.dataset.path");
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task LabelThreeImagesWithKeysThenUndoOne()
    {
        await RankQueue();
        var labelled = new List<(string path, int stage)>();
        for (int i = 0; i < 3; i++)
        {
            var path = await Page.GetAttributeAsync("#item", "data-path");
            var first = Page.Locator(".stages button").First;
            int stage = int.Parse((await first.GetAttributeAsync("data-stage"))!, System.Globalization.CultureInfo.InvariantCulture);
            await Page.Keyboard.PressAsync("1");
            await Page.WaitForFunctionAsync("p => document.querySelector('#item').dataset.path !== p", path);
            labelled.Add((path!, stage));
        }
        await Shot("queue");
        var m = Manifest.Load(data.ManifestFile);
        foreach (var (path, stage) in labelled) Assert.Equal(stage, m.Rows.Single(r => r.Path == path).Stage);
        await Page.Keyboard.PressAsync("z");
        // the undone image is the next one again
        await Page.WaitForFunctionAsync("p => document.querySelector('#item').dataset.path === p", labelled[2].path);
        Assert.Contains("undo of", await Page.TextContentAsync("#history tr:nth-child(2)"), StringComparison.Ordinal);
        m = Manifest.Load(data.ManifestFile);
        Assert.Null(m.Rows.Single(r => r.Path == labelled[2].path).Stage);
        Assert.Equal(labelled[1].stage, m.Rows.Single(r => r.Path == labelled[1].path).Stage);
        NoScriptErrors();
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task RetrainShowsALiveCurveThenRanksAgain()
    {
        await RankQueue();
        await Page.SelectOptionAsync("#retrain-method", "plain");
        await Page.FillAsync("#retrain-settings", "{\"fine\": {\"epochs\": 3, \"milestones\": [2]}}");
        // record every value the chart's point count takes
        await Page.EvaluateAsync(@"() => { window.seen = []; new MutationObserver(ms => ms.forEach(m => {
            if (m.attributeName === 'data-points') window.seen.push(Number(m.target.dataset.points)); }))
            .observe(document.querySelector('#job'), { attributes: true, subtree: true, attributeFilter: ['data-points'] }); }");
        await Page.ClickAsync("#retrain");
        await Page.WaitForFunctionAsync(
            "() => { const s = document.querySelector('.job-state'); " +
            "return s?.textContent.startsWith('retrain') && s.dataset.state === 'succeeded'; }",
            null,
            new PageWaitForFunctionOptions { Timeout = 180000 });
        await Page.WaitForFunctionAsync("() => document.querySelector('img.curve').complete");
        var seen = await Page.EvaluateAsync<int[]>("() => window.seen");
        Assert.True(seen.Length > 0 && seen[^1] == 3, $"the chart's point counts: {string.Join(",", seen)}");
        Assert.True(seen.Distinct().Count(v => v > 0) >= 2, $"the curve grew in one jump: {string.Join(",", seen)}");
        Assert.Equal(seen.Order(), seen);
        Assert.EndsWith("v=3", await Page.GetAttributeAsync("img.curve", "src"), StringComparison.Ordinal);
        Assert.True(await Page.EvaluateAsync<int>("() => document.querySelector('img.curve').naturalWidth") > 100);
        await Page.WaitForFunctionAsync("() => document.querySelector('#status').textContent.includes('runs/queue/')");
        await Shot("retrain");
        NoScriptErrors();
    }

    [Fact]
    public async Task PaintAStrokeAndAnEraseAndFindThemInTheLabelPng()
    {
        await Open("/annotate?p=data/seg/images&image=big.png");
        await Page.WaitForFunctionAsync("() => window.annotator && annotator.state.labels && annotator.state.info.image === 'big.png'");
        await Page.EvalOnSelectorAsync("#size", "e => { e.value = 20; e.dispatchEvent(new Event('input')); }");
        await Page.ClickAsync("#classes button[data-cls='1']");
        var box = (await Page.Locator("#view").BoundingBoxAsync())!;
        async Task Stroke(double x0, double y0, double x1, double y1)
        {
            var a = await Page.EvaluateAsync<double[]>("([x, y]) => annotator.toScreen(x, y)", new[] { x0, y0 });
            var b = await Page.EvaluateAsync<double[]>("([x, y]) => annotator.toScreen(x, y)", new[] { x1, y1 });
            await Page.Mouse.MoveAsync(box.X + (float)a[0], box.Y + (float)a[1]);
            await Page.Mouse.DownAsync();
            await Page.Mouse.MoveAsync(box.X + (float)b[0], box.Y + (float)b[1], new MouseMoveOptions { Steps = 12 });
            await Page.Mouse.UpAsync();
        }
        await Stroke(100, 100, 400, 100);
        await Page.ClickAsync("#eraser");
        await Stroke(250, 40, 250, 160);
        // undo takes the erase back, redo does it again
        Assert.Equal(255, await Page.EvaluateAsync<int>("() => annotator.state.labels[100 * 700 + 250]"));
        await Page.ClickAsync("#undo");
        Assert.Equal(1, await Page.EvaluateAsync<int>("() => annotator.state.labels[100 * 700 + 250]"));
        await Page.Keyboard.PressAsync("Control+y");
        Assert.Equal(255, await Page.EvaluateAsync<int>("() => annotator.state.labels[100 * 700 + 250]"));
        await Page.ClickAsync("#save");
        await Page.WaitForFunctionAsync(
            "() => annotator.state.saved > 0 && document.querySelector('#save-state').dataset.state === 'saved'");
        await Shot("annotate");

        using var png = ImageIO.Read(Path.Combine(data.Data, "seg", "labels", "big.png"));
        Assert.Equal(new long[] { 520, 700 }, png.Shape[..2]);
        var px = png.Contiguous().ToArray<byte>();
        byte At(int x, int y) => px[y * 700 + x];
        Assert.Equal(1, At(120, 100)); // the stroke
        Assert.Equal(1, At(380, 100));
        Assert.Equal(1, At(150, 106)); // its width (brush 20 image pixels at this zoom)
        Assert.Equal(255, At(250, 100)); // erased back to "not annotated"
        Assert.Equal(255, At(150, 200)); // never painted
        Assert.Equal(255, At(30, 100)); // before the stroke's start
        Assert.InRange(px.Count(v => v == 1), 4000, 7000); // about 300 x 20 less the erased band
        Assert.Equal(0, px.Count(v => v != 1 && v != 255));
        NoScriptErrors();
    }

    [Fact]
    public async Task TraversalUrlsGet404InTheBrowser()
    {
        foreach (var url in new[] { "/files/runs/..%2F..%2Foutside%2Fsecret.txt", "/files/data/out.txt", "/files/data/outdir/secret.txt",
                     "/files/runs/%2e%2e/%2e%2e/outside/secret.txt" })
        {
            var r = await Page.GotoAsync(_base + url);
            Assert.Equal(404, r!.Status);
            Assert.DoesNotContain(WebTestData.Secret, await Page.ContentAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task RunsCompareDatasetsAndAnImagePage()
    {
        await Open("/runs");
        await Page.CheckAsync("input.pick[value='runs/m1']");
        await Page.ClickAsync("#compare");
        await Page.WaitForSelectorAsync("#summary");
        await Page.WaitForFunctionAsync("() => ['stages-chart', 'curves-chart'].every(id => document.getElementById(id).naturalWidth > 0)");
        Assert.Contains("plain", await Page.TextContentAsync("#summary"), StringComparison.Ordinal);
        await Shot("compare");
        await Open($"/datasets?m={WebTestData.ManifestId}&stage=7");
        await Page.WaitForFunctionAsync("() => document.querySelectorAll('#gallery a').length > 0");
        var shown = await Page.Locator("#gallery a").CountAsync();
        Assert.Equal(Manifest.Load(data.ManifestFile).Rows.Count(r => r.Stage == 7), shown);
        await Shot("datasets");
        await Page.Locator("#gallery a").First.ClickAsync();
        await Page.WaitForSelectorAsync("#predicted");
        await Page.WaitForFunctionAsync("() => document.getElementById('overlay').naturalWidth > 0");
        await Shot("image");
        NoScriptErrors();
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task TrainInTheAnnotatorShowsTheCurveThenOverlaysAndTheNextPatch()
    {
        var project = WorkflowFiles.SegProject(data, "segweb");
        await Open($"/annotate?p={project}&image=cells.png");
        await Page.WaitForFunctionAsync("() => window.annotator && annotator.state.labels && annotator.state.info.image === 'cells.png'");
        Assert.False(await Page.IsDisabledAsync("#train"));
        Assert.True(await Page.IsDisabledAsync("#next-patch") == false);
        await Page.FillAsync("#train-settings", WorkflowFiles.QuickSettings);
        await Page.EvaluateAsync(@"() => { window.seen = []; new MutationObserver(ms => ms.forEach(m => {
            if (m.attributeName === 'data-points') window.seen.push(Number(m.target.dataset.points)); }))
            .observe(document.querySelector('#job'), { attributes: true, subtree: true, attributeFilter: ['data-points'] }); }");
        await Page.ClickAsync("#train");
        await Page.WaitForFunctionAsync("() => document.querySelector('.job-state')?.dataset.state === 'succeeded'", null,
            new PageWaitForFunctionOptions { Timeout = 180000 });
        var seen = await Page.EvaluateAsync<int[]>("() => window.seen");
        Assert.True(seen.Length > 0 && seen[^1] == 2, $"the chart's point counts: {string.Join(",", seen)}");
        await Page.WaitForFunctionAsync("() => document.querySelector('img.curve').complete && " +
            "document.querySelector('img.curve').naturalWidth > 100");
        await Page.WaitForFunctionAsync("() => document.querySelector('#workflow-note').textContent.includes('runs/segment/')");

        // the overlays, drawn over the image at the slider's opacity
        var before = await Page.EvaluateAsync<int[]>("() => [...document.querySelector('#view').getContext('2d')" +
            ".getImageData(450, 280, 1, 1).data]");
        await Page.EvalOnSelectorAsync("#opacity", "e => { e.value = 100; e.dispatchEvent(new Event('input')); }");
        await Page.CheckAsync("#show-prediction");
        await Page.WaitForFunctionAsync("() => annotator.state.prediction !== null && annotator.state.prediction.width === 96");
        await Page.CheckAsync("#show-uncertainty");
        await Page.WaitForFunctionAsync("() => annotator.state.uncertainty !== null");
        await Page.EvaluateAsync("() => annotator.draw()");
        var after = await Page.EvaluateAsync<int[]>("() => [...document.querySelector('#view').getContext('2d')" +
            ".getImageData(450, 280, 1, 1).data]");
        Assert.NotEqual(before, after);
        await Shot("annotate-trained");

        await Page.ClickAsync("#next-patch");
        await Page.WaitForFunctionAsync("() => annotator.state.patch !== null");
        Assert.Equal(32, await Page.EvaluateAsync<int>("() => annotator.state.patch.x"));
        Assert.Equal("cells.png", await Page.EvaluateAsync<string>("() => annotator.state.patch.image"));
        NoScriptErrors();
    }

    [Fact]
    public async Task AcceptOneBagCorrectAnotherAndFindBothInTheManifest()
    {
        var manifestId = WorkflowFiles.Bags(data, "bags-browser");
        var file = Path.Combine(data.Data, "bags-browser", "manifest.csv");
        string[] Terms(string gene)
        {
            var m = Manifest.Load(file);
            return TermReview.TermsOf(m, Enumerable.Range(0, m.Rows.Count).Where(i => m.Rows[i].Gene == gene));
        }
        await Open($"/terms?m={manifestId}&p={WorkflowFiles.Predictions}");
        const string b = ".bag[data-bag='geneB_3']", a = ".bag[data-bag='geneA_2']";
        await Page.WaitForSelectorAsync(b);
        await Page.ClickAsync($"{b} button.accept");
        await Page.WaitForSelectorAsync($"{b}[data-review='accept']");
        Assert.Equal(["dorsal ectoderm", "yolk"], Terms("geneB"));

        await Page.UncheckAsync($"{a} input[value='ventral ectoderm']");
        await Page.CheckAsync($"{a} input[value='yolk']");
        await Page.FillAsync($"{a} input.extra", "amnioserosa");
        await Page.ClickAsync($"{a} button.correct");
        await Page.WaitForSelectorAsync($"{a}[data-review='correct']");
        Assert.Equal(["amnioserosa", "yolk"], Terms("geneA"));
        Assert.Equal("2", await Page.GetAttributeAsync("#status", "data-reviewed"));
        await Page.WaitForFunctionAsync("() => document.querySelectorAll('.bag img').length === 4 && " +
            "[...document.querySelectorAll('.bag img')].every(i => i.complete && i.naturalWidth > 0)");
        await Shot("terms");

        await Page.ClickAsync("#undo");
        await Page.WaitForSelectorAsync($"{a}[data-review='']");
        Assert.Equal(["ventral ectoderm"], Terms("geneA"));
        Assert.Equal(["dorsal ectoderm", "yolk"], Terms("geneB"));
        NoScriptErrors();
    }
}
