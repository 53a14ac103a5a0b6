using InSitu.Workflows.Stages;

namespace InSitu.Tests.Architecture;

/// <summary>The layering of the toolkit, checked on the compiled assembly: no namespace cycles, workflows are siblings.</summary>
public class ArchitectureTests
{
    private static NamespaceGraph Toolkit() => NamespaceGraph.Of(typeof(StageMethods).Assembly, "InSitu");

    [Fact]
    public void TheToolkitHasNoNamespaceCycles() => Assert.Empty(Toolkit().Cycles());

    [Fact]
    public void SharedLayersNeverUseWorkflowsAndWorkflowsNeverUseEachOther() => Assert.Empty(Toolkit().LayerViolations("InSitu.Workflows"));

    [Fact]
    public void TheGraphSeesReferencesInsideMethodBodies()
    {
        var graph = Toolkit();
        // the stage workflow trains through the shared trainer and reads manifests
        Assert.Contains("InSitu.Training", graph.Edges["InSitu.Workflows.Stages"]);
        Assert.Contains("InSitu.Data", graph.Edges["InSitu.Workflows.Stages"]);
        Assert.Contains("InSitu.Common", graph.Edges["InSitu.Data"]);
    }

    [Fact]
    public void ACycleIntroducedOnPurposeIsCaught()
    {
        // shared Data using the stage workflow closes a loop (Stages uses Data) and breaks the layering
        var broken = Toolkit().With("InSitu.Data", "InSitu.Workflows.Stages");
        Assert.Contains(broken.Cycles(), c => c.Contains("InSitu.Data") && c.Contains("InSitu.Workflows.Stages"));
        Assert.Contains("shared InSitu.Data uses workflow InSitu.Workflows.Stages", broken.LayerViolations("InSitu.Workflows"));
    }

    [Fact]
    public void CyclesAndSiblingUseInCompiledCodeAreCaught()
    {
        // the sample namespaces below are compiled into this test assembly with a real cycle and a workflow-to-workflow call
        var graph = NamespaceGraph.Of(typeof(Samples.Ping.Ping).Assembly, "InSitu.Tests.Architecture.Samples");
        Assert.Contains("InSitu.Tests.Architecture.Samples.Ping <-> InSitu.Tests.Architecture.Samples.Pong", graph.Cycles());
        Assert.Contains("workflow InSitu.Tests.Architecture.Samples.Workflows.Terms uses workflow " +
            "InSitu.Tests.Architecture.Samples.Workflows.Bags",
            graph.LayerViolations("InSitu.Tests.Architecture.Samples.Workflows"));
    }
}
