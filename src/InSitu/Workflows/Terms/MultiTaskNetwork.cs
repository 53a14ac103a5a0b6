using InSitu.Models;
using InSitu.Torch;
using InSitu.Torch.NN;

namespace InSitu.Workflows.Terms;

/// <summary>
/// The multi-task network of seed 001: the pretrained network with one output per CV term, all sharing every hidden
/// layer. The term outputs sit on one tap point (by default the last hidden layer, e.g. VGG16's relu7, so that they
/// replace its fc8, or MobileNetV2's out_relu), global-average-pooled when it is a map, after dropout; a sigmoid per
/// output makes each a binary task (the loss is <see cref="Training.MultiLabelTask.Loss"/>). With
/// <see cref="FreezeBatchNorm"/> the batch norms keep their pretrained statistics while the rest trains, so the
/// training and evaluation passes agree and small batches do not disturb them. State dict: trunk.*, head.*.
/// </summary>
public sealed class MultiTaskNetwork : Module<Tensor, Tensor>
{
    private readonly Dropout _dropout;

    public MultiTaskNetwork(TappedNetwork trunk, string headTap, int terms, double dropout, bool freezeBatchNorm, int height, int width)
    {
        if (terms < 1) throw new ArgumentException("the multi-task network needs at least one term");
        Trunk = RegisterModule("trunk", trunk);
        HeadTap = trunk.ResolveTap(headTap);
        FreezeBatchNorm = freezeBatchNorm;
        long channels;
        bool training = trunk.Training;
        trunk.Eval();
        using (Autograd.NoGrad())
        using (TorchRuntime.NewDisposeScope())
            channels = trunk.Taps(Factory.Zeros(new long[] { 1, 3, height, width }), [HeadTap])[HeadTap].Size(1);
        trunk.Train(training);
        _dropout = RegisterModule("dropout", new Dropout(dropout));
        Head = RegisterModule("head", new Linear(channels, terms));
        Terms = terms;
    }

    public TappedNetwork Trunk { get; }
    public Linear Head { get; }
    public string HeadTap { get; }
    public int Terms { get; }
    public bool FreezeBatchNorm { get; }

    protected override Tensor ForwardCore(Tensor input)
    {
        using var scope = TorchRuntime.NewDisposeScope();
        var h = Trunk.Taps(input, [HeadTap])[HeadTap];
        if (h.Shape.Length == 4) h = h.Mean([2, 3]);
        return scope.MoveToOuter(Head.Forward(_dropout.Forward(h)));
    }

    public override void Train(bool training = true)
    {
        base.Train(training);
        if (!FreezeBatchNorm) return;
        foreach (var (_, module) in Trunk.NamedModules())
            if (module is BatchNorm2d bn) bn.Eval();
    }
}
