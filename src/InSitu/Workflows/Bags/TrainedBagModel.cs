using InSitu.Data;

namespace InSitu.Workflows.Bags;

/// <summary>
/// A trained bag model loaded for use: its record, CNN and (when it has one) BiLSTM. It predicts source bags from a
/// <see cref="BagSet"/> read with its own config: CNN over every image, the bag model over their features (or their
/// mean), stage masks, parts of a split bag averaged.
/// </summary>
public sealed class TrainedBagModel : IDisposable
{
    private TrainedBagModel(BagModelInfo info, ImageAttributeNetwork cnn, BagSequenceModel? lstm)
    {
        (Info, Cnn, Lstm) = (info, cnn, lstm);
    }

    public BagModelInfo Info { get; }
    public ImageAttributeNetwork Cnn { get; }
    public BagSequenceModel? Lstm { get; }
    public AttributeSet Attributes => Info.AttributeSet;

    public static TrainedBagModel Load(string path)
    {
        var (info, cnn, lstm) = BagModelInfo.Load(path);
        return new TrainedBagModel(info, cnn, lstm);
    }

    /// <summary>The model's predictions and the CNN-only rule's, one per source bag, for the given bags of the set.</summary>
    public (List<BagPrediction> Model, List<BagPrediction> CnnMean) Predict(BagSet set, IReadOnlyList<int> bags, DecodedImageCache cache)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(bags);
        var config = Info.Config;
        var rows = bags.SelectMany(b => set.Bags[b].Rows).ToList();
        var source = new BagBatchSource(set.Manifest, config.Loader(8, augment: false, Info.Seed), rows: rows, cache: cache);
        var images = BagInference.Images(Cnn, source);
        int t = Attributes.Count;
        var records = bags.Select(b => set.Bags[b]).ToList();
        bool masks = config.Components.StageMasks;
        var cnnMean = BagScoring.BySource(records.Select(b => (b, BagInference.MeanOfImages(images[b.Id], t))), Attributes, masks);
        if (Lstm is null) return (cnnMean, cnnMean);
        var sequences = BagInference.Sequences(Lstm, records.Select(b => (b.Id, images[b.Id].Features)).ToList());
        return (BagScoring.BySource(records.Select(b => (b, sequences[b.Id])), Attributes, masks), cnnMean);
    }

    public void Dispose()
    {
        Cnn.Dispose();
        Lstm?.Dispose();
    }
}
