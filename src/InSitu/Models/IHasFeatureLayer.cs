using InSitu.Torch;
using InSitu.Torch.NN;

namespace InSitu.Models;

/// <summary>A model whose prediction is computed from one layer's spatial activation map (what Grad-CAM weighs).</summary>
public interface IHasFeatureLayer
{
    /// <summary>
    /// A module that runs once per forward pass of the model and returns an N x C x h x w activation map from which
    /// the rest of the model computes its output.
    /// </summary>
    Module<Tensor, Tensor> FeatureLayer { get; }
}
