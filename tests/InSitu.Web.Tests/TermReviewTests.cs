using System.Net;
using InSitu.Data;
using InSitu.Web.Terms;

namespace InSitu.Web.Tests;

/// <summary>Term review of gene-stage bags through the test host: sources, the bag view, accept, correct, undo, errors.</summary>
[Collection("web")]
public sealed class TermReviewTests(WebTestData data)
{
    private static string[] TermsOf(Manifest m, string gene) =>
        TermReview.TermsOf(m, Enumerable.Range(0, m.Rows.Count).Where(i => m.Rows[i].Gene == gene));

    [Fact]
    public async Task AcceptCorrectAndUndoWriteTheManifestsTermsColumn()
    {
        var manifestId = WorkflowFiles.Bags(data, "bags-host");
        var file = Path.Combine(data.Data, "bags-host", "manifest.csv");
        using var factory = new WebFactory(data.Options());
        using var client = await WebClient.Open(factory);
        var sources = await client.Get("/api/terms/sources");
        Assert.Contains(manifestId, sources.GetProperty("manifests").EnumerateArray().Select(x => x.GetString()));
        Assert.Contains(WorkflowFiles.Predictions, sources.GetProperty("predictions").EnumerateArray().Select(x => x.GetString()));
        Assert.DoesNotContain(sources.GetProperty("predictions").EnumerateArray(), x => x.GetString()!.EndsWith("manifest.csv",
            StringComparison.Ordinal));

        var view = await client.Get($"/api/terms?m={manifestId}&p={WorkflowFiles.Predictions}");
        Assert.Equal(3, view.GetProperty("bags").GetInt32());
        Assert.Equal(3, view.GetProperty("predictedBags").GetInt32());
        var items = view.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(["geneA_2", "geneB_3", "geneC_4"], items.Select(b => b.GetProperty("bag").GetString()));
        Assert.Equal(2, items[0].GetProperty("images").GetInt32());
        Assert.Equal(["ventral ectoderm"], items[0].GetProperty("terms").EnumerateArray().Select(t => t.GetString()));
        var b = items[1].GetProperty("predicted").EnumerateArray().ToList(); // most probable first
        Assert.Equal(("dorsal ectoderm", 0.8, true), (b[0].GetProperty("term").GetString(), b[0].GetProperty("probability").GetDouble(),
            b[0].GetProperty("decided").GetBoolean()));
        Assert.False(b[2].GetProperty("decided").GetBoolean());

        await client.PostOk("/api/terms/review", new
        {
            manifest = manifestId,
            bag = "geneB_3",
            action = "accept",
            terms = new[] { "dorsal ectoderm", "yolk" }
        });
        await client.PostOk("/api/terms/review", new
        {
            manifest = manifestId,
            bag = "geneA_2",
            action = "correct",
            terms = new[] { "yolk", " new term ", "yolk" }
        });
        var m = Manifest.Load(file);
        Assert.Equal(["dorsal ectoderm", "yolk"], TermsOf(m, "geneB"));
        Assert.Equal(["new term", "yolk"], TermsOf(m, "geneA"));
        Assert.All(m.Rows.Where(r => r.Gene == "geneA"), r => Assert.Equal(["new term", "yolk"], r.Terms!)); // every row of the bag
        Assert.Empty(TermsOf(m, "geneC"));
        view = await client.Get($"/api/terms?m={manifestId}&p={WorkflowFiles.Predictions}&show=unreviewed");
        Assert.Equal((2, 1), (view.GetProperty("reviewedBags").GetInt32(), view.GetProperty("matching").GetInt32()));
        Assert.Equal("geneC_4", view.GetProperty("items")[0].GetProperty("bag").GetString());
        Assert.Equal(2, TermReview.Read(file).Count);

        // undo: the correction, then the acceptance, then nothing left
        await client.PostOk("/api/terms/undo", new { manifest = manifestId });
        Assert.Equal(["ventral ectoderm"], TermsOf(Manifest.Load(file), "geneA"));
        await client.PostOk("/api/terms/undo", new { manifest = manifestId });
        Assert.Empty(TermsOf(Manifest.Load(file), "geneB"));
        Assert.Equal(HttpStatusCode.Conflict, (await client.Post("/api/terms/undo", new { manifest = manifestId })).StatusCode);
        view = await client.Get($"/api/terms?m={manifestId}");
        Assert.Equal(0, view.GetProperty("reviewedBags").GetInt32());
        Assert.False(view.GetProperty("canUndo").GetBoolean());
    }

    [Fact]
    public async Task BadReviewsAreRefusedNamingWhat()
    {
        var manifestId = WorkflowFiles.Bags(data, "bags-bad");
        using var factory = new WebFactory(data.Options());
        using var client = await WebClient.Open(factory);
        async Task Refused(HttpStatusCode expected, string contains, object body)
        {
            var (status, error) = await WebClient.Error(await client.Post("/api/terms/review", body));
            Assert.Equal(expected, status);
            Assert.Contains(contains, error, StringComparison.Ordinal);
        }
        await Refused(HttpStatusCode.NotFound, "no bag 'geneZ_1'", new { manifest = manifestId, bag = "geneZ_1", action = "accept" });
        await Refused(HttpStatusCode.BadRequest, "unknown review", new { manifest = manifestId, bag = "geneA_2", action = "maybe" });
        await Refused(HttpStatusCode.BadRequest, "';'", new
        {
            manifest = manifestId,
            bag = "geneA_2",
            action = "correct",
            terms = new[] { "a;b" }
        });
        // nothing outside the roots (traversal, links out), nor a file that is no manifest
        foreach (var m in new[] { "data/../outside/x.csv", "data/outdir/secret.txt", "runs/m1/config.json", "/etc/passwd" })
            await Refused(HttpStatusCode.NotFound, "no bag manifest", new { manifest = m, bag = "geneA_2", action = "accept" });
        var (s, e) = await WebClient.Error(await client.Http.GetAsync($"/api/terms?m={manifestId}&p=runs/m1/config.json"));
        Assert.Equal(HttpStatusCode.BadRequest, s);
        Assert.Contains("not a `bags predict` output", e, StringComparison.Ordinal);
        Assert.Empty(TermReview.Read(Path.Combine(data.Data, "bags-bad", "manifest.csv")));
    }
}
