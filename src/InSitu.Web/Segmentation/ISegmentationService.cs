using InSitu.Web.Jobs;

namespace InSitu.Web.Segmentation;

/// <summary>The patch the workflow would have annotated next: an image of the project and a rectangle in its pixels.</summary>
public sealed record SuggestedPatch(string Image, int X, int Y, int Width, int Height, double Score);

/// <summary>Per-pixel predicted class and uncertainty (0 = sure .. 255 = no idea), row-major, for one image.</summary>
public sealed record SegmentationPrediction(int Width, int Height, byte[] Classes, byte[] Uncertainty);

/// <summary>
/// What the annotator needs of the segmentation workflow: training as a background job, the next patch to annotate,
/// and prediction with uncertainty. The annotator itself (canvas, label files, tiles) needs none of it; its Train,
/// Next patch and overlay buttons stay off until an implementation is given to <see cref="WebOptions.Segmentation"/>.
/// </summary>
public interface ISegmentationService
{
    /// <summary>The job kinds the workflow brings (training at least); registered with the server's job manager.</summary>
    IReadOnlyList<IJobKind> JobKinds { get; }

    /// <summary>
    /// The job kind and parameters that train on a project's labels into the run folder <paramref name="runId"/>, with
    /// <paramref name="settings"/> (JSON overrides of the workflow's config, or null).
    /// </summary>
    (string kind, Dictionary<string, string> parameters) Train(SegmentationProject project, string runId, string? settings);

    /// <summary>The newest model trained for the project (a runs id), or null before the first training.</summary>
    string? LatestModel(SegmentationProject project);

    SuggestedPatch? Suggest(SegmentationProject project, string modelId);

    SegmentationPrediction Predict(SegmentationProject project, string image, string modelId);
}
